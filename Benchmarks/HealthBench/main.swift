import Foundation
import Glibc
import HealthPluginHarness
import PluginHost
import PluginABI

// HealthBench: `probe` runs one probe round and prints the verdicts (the health tests use it
// to probe from another namespace or user); `bench` measures CPU time per round.

func usage() -> Never {
    FileHandle.standardError.write(Data("""
    usage: HealthBench probe PLUGIN IP[,IP...] [option=value ...]
           HealthBench bench [--rounds N] [--icmp-targets N] [--tcp-targets N] [--interval S]

    """.utf8))
    exit(64)
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else { usage() }
switch command {
case "probe":
    guard arguments.count >= 3 else { usage() }
    var options: [String: String] = [:]
    for pair in arguments.dropFirst(3) {
        let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { usage() }
        options[parts[0]] = parts[1]
    }
    let ips = arguments[2].split(separator: ",").map(String.init)
    do {
        let driver = try HealthPlugins(options: options)
        let instance = try driver.start(arguments[1])
        let verdicts = try instance.probe(ips)
        for (ip, verdict) in zip(ips, verdicts) {
            print("\(ip) \(verdict.rawValue)")
        }
        for (key, value) in instance.info()["params"] ?? [:] {
            print("param \(key) \(value)")
        }
        instance.stop()
    } catch let error as PluginError {
        FileHandle.standardError.write(Data("create failed: [\(error.code)] \(error.message)\n".utf8))
        exit(2)
    } catch {
        FileHandle.standardError.write(Data("create failed: \(error)\n".utf8))
        exit(2)
    }
case "bench":
    runBenchmark(Array(arguments.dropFirst()))
default:
    usage()
}
