import Foundation
import RouteModel
import Testing
import TestSupport

/// `JSONValue.serialized` writes bytes into one buffer (the status pages of 1,000 routes are half
/// a megabyte). Over random documents it must write exactly what the string-building writer it
/// replaced wrote, and what it writes must parse back to the same document.
@Suite struct JSONValueSerializationTests {
    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func randomDocumentsAreWrittenAsBeforeAndReadBack(seed: UInt64) throws {
        var random = SeededGenerator(state: seed)
        for _ in 0..<200 {
            let document = Self.randomValue(depth: 0, using: &random)
            for pretty in [false, true] {
                let text = document.serialized(pretty: pretty)
                #expect(text == ReferenceJSONText.text(document, pretty: pretty), "seed \(seed), pretty \(pretty)")
                let parsed = try StrictJSONParser.parse(Array(text.utf8))
                #expect(parsed == document, "seed \(seed): \(text)")
            }
        }
    }

    @Test func controlCharactersQuotesAndBackslashesAreEscaped() {
        let document = JSONValue.object([("k\"\\", .string("a\u{0}b\u{1f}c\n\r\t\"\\é😀"))])
        #expect(document.serialized() == #"{"k\"\\":"a\u0000b\u001fc\n\r\t\"\\é😀"}"#)
    }

    static let characters: [Character] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{0}", "\u{1}", "\u{1f}",
                                          "\u{7f}", "é", "ß", "€", "😀", "\u{2028}", "{", "]", ":", ","]

    static func randomString(using random: inout SeededGenerator) -> String {
        String((0..<Int.random(in: 0...8, using: &random)).map { _ in characters.randomElement(using: &random)! })
    }

    static func randomValue(depth: Int, using random: inout SeededGenerator) -> JSONValue {
        let choice = Int.random(in: 0..<(depth >= 4 ? 4 : 6), using: &random)
        switch choice {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2:
            let numbers: [Double] = [0, -1, 42, 1e15, 0.5, -2.25, 1e-7, 123456.789, Double(Int.random(in: -1_000_000...1_000_000, using: &random))]
            return .number(numbers.randomElement(using: &random)!)
        case 3: return .string(randomString(using: &random))
        case 4: return .array((0..<Int.random(in: 0...4, using: &random)).map { _ in randomValue(depth: depth + 1, using: &random) })
        default:
            return .object((0..<Int.random(in: 0...4, using: &random)).map { index in
                ("\(index)" + randomString(using: &random), randomValue(depth: depth + 1, using: &random))
            })
        }
    }
}

/// The writer `serialized` replaced, kept as the reference for its output.
enum ReferenceJSONText {
    static func text(_ value: JSONValue, pretty: Bool) -> String {
        var output = ""
        write(value, to: &output, pretty: pretty, indent: 0)
        return output
    }

    static func write(_ value: JSONValue, to output: inout String, pretty: Bool, indent: Int) {
        let newline = pretty ? "\n" : ""
        let pad = { (level: Int) in pretty ? String(repeating: " ", count: level * 4) : "" }
        switch value {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .number(let value):
            output += value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .string(let value): output += quote(value)
        case .array(let items):
            if items.isEmpty { output += "[]"; return }
            output += "[" + newline
            for (index, item) in items.enumerated() {
                output += pad(indent + 1)
                write(item, to: &output, pretty: pretty, indent: indent + 1)
                output += (index < items.count - 1 ? "," : "") + newline
            }
            output += pad(indent) + "]"
        case .object(let members):
            if members.isEmpty { output += "{}"; return }
            output += "{" + newline
            for (index, member) in members.enumerated() {
                output += pad(indent + 1) + quote(member.0) + (pretty ? ": " : ":")
                write(member.1, to: &output, pretty: pretty, indent: indent + 1)
                output += (index < members.count - 1 ? "," : "") + newline
            }
            output += pad(indent) + "}"
        }
    }

    static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
