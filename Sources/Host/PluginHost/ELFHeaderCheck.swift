import Glibc

/// Reads the first bytes of a file and says why it cannot be a plugin for this machine, before
/// the dynamic loader sees it: dlopen()'s own message for a wrong architecture is vague.
enum ELFHeaderCheck {
    static let hostMachine: UInt16 = {
        #if arch(x86_64)
        return 62
        #elseif arch(arm64)
        return 183
        #else
        return 0
        #endif
    }()

    static func problem(withFileAt path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            return "cannot be read (\(String(cString: strerror(errno))))"
        }
        defer { close(descriptor) }
        let fileSize = max(0, Int(lseek(descriptor, 0, SEEK_END)))
        let header = bytes(of: descriptor, at: 0, count: 64)
        if header.count < 4 || header[0..<4] != [0x7f, 0x45, 0x4c, 0x46] {
            return "not an ELF shared object"
        }
        if header.count < 20 {
            return "truncated ELF header (\(header.count) bytes)"
        }
        if header[4] != 2 {
            return "a 32-bit ELF object; this vpcrouter loads 64-bit plugins only"
        }
        let type = UInt16(header[16]) | UInt16(header[17]) << 8
        let machine = UInt16(header[18]) | UInt16(header[19]) << 8
        if hostMachine != 0 && machine != hostMachine {
            return "built for \(machineName(machine)); this vpcrouter runs on \(machineName(hostMachine))"
        }
        if type != 3 {
            return "an ELF file that is not a shared object (type \(type))"
        }
        guard header.count == 64 else { return "truncated ELF header (\(header.count) bytes)" }
        // The loader maps segments straight from the file; one that ends past the end of the file
        // would fault (SIGBUS) when touched, so a truncated file must be refused before dlopen().
        // Every field comes from the file: sums saturate instead of trapping on a hostile value.
        let programHeaderOffset = Int(clamping: little(header, 32, 8))
        let programHeaderSize = Int(little(header, 54, 2))
        let programHeaderCount = Int(little(header, 56, 2))
        let tableEnd = saturatingSum(programHeaderOffset, programHeaderSize * programHeaderCount)
        guard programHeaderSize >= 56, tableEnd <= fileSize else {
            return "truncated ELF file: its program headers end at byte \(tableEnd) but the file has \(fileSize) bytes"
        }
        let table = bytes(of: descriptor, at: programHeaderOffset, count: tableEnd - programHeaderOffset)
        guard table.count == tableEnd - programHeaderOffset else { return "truncated ELF file (cannot read its program headers)" }
        for index in 0..<programHeaderCount {
            let entry = Array(table[(index * programHeaderSize)..<((index + 1) * programHeaderSize)])
            let isLoadable = little(entry, 0, 4) == 1
            let segmentEnd = saturatingSum(Int(clamping: little(entry, 8, 8)), Int(clamping: little(entry, 32, 8)))
            if isLoadable && segmentEnd > fileSize {
                return "truncated ELF file: a segment ends at byte \(segmentEnd) but the file has \(fileSize) bytes"
            }
        }
        return nil
    }

    /// Up to `count` bytes of the file from `offset`: fewer at its end or after a read error.
    static func bytes(of descriptor: Int32, at offset: Int, count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let read = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + filled, count - filled, off_t(offset + filled)) }
            if read < 0 && errno == EINTR { continue }
            guard read > 0 else { break }
            filled += read
        }
        return Array(bytes[..<filled])
    }

    static func saturatingSum(_ left: Int, _ right: Int) -> Int {
        let (sum, overflow) = left.addingReportingOverflow(right)
        return overflow ? .max : sum
    }

    /// Reads a little-endian unsigned integer of `width` bytes.
    static func little(_ bytes: [UInt8], _ offset: Int, _ width: Int) -> UInt64 {
        (0..<width).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[offset + $1]) }
    }

    static func machineName(_ machine: UInt16) -> String {
        switch machine {
        case 3: "i386"
        case 40: "arm"
        case 62: "x86_64"
        case 183: "aarch64"
        case 243: "riscv"
        default: "ELF machine \(machine)"
        }
    }
}
