import Foundation

/// One row of a bad-input corpus manifest: the input's file (or a `generated:` name the test
/// builds itself), its raw bytes, and the remaining tab-separated columns (expectations).
public struct CorpusCase: Sendable, CustomStringConvertible {
    public let name: String
    public let columns: [String]
    /// The file's bytes; nil for `generated:` rows.
    public let input: [UInt8]?

    public var description: String { name }

    public func column(_ index: Int) -> String { index < columns.count ? columns[index] : "" }
}

/// Reads the manifests under `Tests/<Target>/corpus/<set>/`: `expected.tsv` lists one case per line
/// (`file<TAB>expectation...`); `#` lines are comments. A JSON manifest is read with `json(_:)`.
public enum Corpus {
    public static func directory(target: String, set: String) -> URL {
        PackagePaths.root.appendingPathComponent("Tests/\(target)/corpus/\(set)")
    }

    /// The cases of a TSV manifest, in file order. A missing manifest gives no cases (a count test catches it).
    public static func cases(target: String, set: String, manifest: String = "expected.tsv") -> [CorpusCase] {
        let directory = directory(target: target, set: set)
        guard let text = try? String(contentsOf: directory.appendingPathComponent(manifest), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line -> CorpusCase? in
            if line.hasPrefix("#") || line.trimmingCharacters(in: .whitespaces).isEmpty { return nil }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let name = fields[0]
            let input = name.hasPrefix("generated:") ? nil : (try? Data(contentsOf: directory.appendingPathComponent(name))).map { [UInt8]($0) }
            return CorpusCase(name: name, columns: Array(fields.dropFirst()), input: input ?? (name.hasPrefix("generated:") ? nil : []))
        }
    }

    /// A JSON manifest decoded into `T` (an empty list when it is missing or unreadable, so a count test fails).
    public static func json<T: Decodable>(_ type: [T].Type, target: String, set: String, manifest: String = "cases.json") -> [T] {
        let url = directory(target: target, set: set).appendingPathComponent(manifest)
        guard let data = try? Data(contentsOf: url) else { return [] }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            print("corpus manifest \(url.path) cannot be decoded: \(error)")
            return []
        }
    }
}
