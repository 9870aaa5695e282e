// DESIGN.md's "may call" rules that the compiler does not enforce: Routing and the handler
// API are pure (they may use RingmasterHTTP but not the kernel), and only
// IOUring/Supervisor (and the file opener) touch CURing; the worker goes through IOUring/.
// (RingmasterHTTP is its own target with no dependencies, so the compiler enforces it.)
import Foundation
import Testing

@Suite struct LayeringTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")

    func imports(in folder: String) throws -> [String: [String]] {
        let dir = LayeringTests.sources.appendingPathComponent(folder)
        var result: [String: [String]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name.hasSuffix(".swift") {
            let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
            result[name] = text.split(separator: "\n").filter { $0.hasPrefix("import ") }.map { String($0.dropFirst(7)) }
        }
        return result
    }

    /// The library uses FoundationEssentials, never all of Foundation: statically linked,
    /// Foundation made the binary 87.5 MB instead of 38.3 and idle RSS 1.59x nginx's instead of
    /// 1.13x (docs/benchmarks.md, 2026-12-04). Every folder of the library, recursively.
    @Test func theLibraryDoesNotImportFoundation() throws {
        let root = LayeringTests.sources.appendingPathComponent("Ringmaster")
        let files = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
        #expect(files.count > 100)
        for file in files {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            let imports = text.split(separator: "\n").filter { $0.hasPrefix("import ") }.map { String($0.dropFirst(7)) }
            #expect(!imports.contains("Foundation"), "\(file) imports Foundation (FoundationEssentials has what the library needs)")
        }
    }

    @Test func routingDoesNotTouchTheKernel() throws {
        let files = try imports(in: "Ringmaster/Routing")
        #expect(!files.isEmpty)
        for (file, modules) in files {
            #expect(!modules.contains("CURing"), "\(file) imports CURing")
        }
    }

    @Test func handlerAPIDoesNotTouchTheKernel() throws {
        // Handlers see a queue on the worker, never its ring: everything kernel-side is in Worker/.
        let files = try imports(in: "Ringmaster/Handlers")
        #expect(!files.isEmpty)
        for (file, modules) in files {
            #expect(!modules.contains("CURing"), "\(file) imports CURing")
        }
    }

    @Test func workerLeavesSQEsToTheRingLayer() throws {
        // DESIGN.md: the worker turns its machine's actions into SQEs through IOUring/ and
        // never prepares one itself; completions are classified there too (Completion).
        let files = try imports(in: "Ringmaster/Worker")
        #expect(files.count > 10)
        for (file, modules) in files {
            #expect(!modules.contains("CURing"), "\(file) imports CURing")
        }
    }

    @Test func configDoesNotTouchTheKernel() throws {
        for (file, modules) in try imports(in: "Ringmaster/Config") {
            #expect(!modules.contains("CURing"), "\(file) imports CURing")
        }
    }

    @Test func httpTargetImportsNothing() throws {
        for (file, modules) in try imports(in: "RingmasterHTTP") {
            #expect(modules.isEmpty, "\(file) imports \(modules)")
        }
    }
}
