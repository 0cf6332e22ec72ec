/// ArgumentParser reads a word such as `-1` after an option as another option, so
/// `--route_recheck_interval -1` would fail with "missing value" instead of the option's own
/// range message. Such a value is attached with `=` before parsing.
enum NegativeNumberValues {
    static func attached(_ words: [String]) -> [String] {
        var result: [String] = []
        var index = 0
        while index < words.count {
            let word = words[index]
            if index + 1 < words.count, takesAttachedValue(word), isNegativeNumber(words[index + 1]) {
                result.append("\(word)=\(words[index + 1])")
                index += 2
            } else {
                result.append(word)
                index += 1
            }
        }
        return result
    }

    /// A long option without a value yet, or one of the core short options (plugins' short
    /// options do not take `=`).
    static func takesAttachedValue(_ word: String) -> Bool {
        if word.hasPrefix("--") { return word.count > 2 && !word.contains("=") }
        guard word.count == 2, word.hasPrefix("-"), let letter = word.last else { return false }
        return CoreOptions.reservedShortNames.contains(letter) && letter != "h"
    }

    static func isNegativeNumber(_ word: String) -> Bool {
        guard word.count > 1, word.hasPrefix("-") else { return false }
        return Double(word.dropFirst()) != nil && word.dropFirst().allSatisfy { $0.isNumber || $0 == "." }
    }
}
