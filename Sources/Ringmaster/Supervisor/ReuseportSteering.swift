// Optional CPU steering (config `steering = cpu`): a classic BPF program attached to the
// reuseport group with SO_ATTACH_REUSEPORT_CBPF (Linux 4.5) returns, for each new connection,
// the index of the listener whose worker runs on the CPU that received it; the connection is
// then handled on the CPU whose caches already hold its packets.
import CURing
import Glibc

/// Builds and attaches the steering program.
public enum ReuseportSteering {
    // Classic BPF opcodes (linux/filter.h; macros Swift does not import).
    static let loadAbsolute: UInt16 = 0x20   // BPF_LD | BPF_W | BPF_ABS
    static let jumpIfEqual: UInt16 = 0x15    // BPF_JMP | BPF_JEQ | BPF_K
    static let returnConstant: UInt16 = 0x06 // BPF_RET | BPF_K
    /// SKF_AD_OFF + SKF_AD_CPU: the ancillary load of the current CPU.
    static let ancillaryCPU: UInt32 = UInt32(bitPattern: -0x1000) &+ 36

    /// The program for listeners bound in order on `cpus`: `cpus[i]` → index i; any other CPU
    /// returns an out-of-range index, which makes the kernel fall back to its hash.
    public static func program(cpus: [Int]) -> [curing_sock_filter] {
        var code = [curing_sock_filter(code: loadAbsolute, jt: 0, jf: 0, k: ancillaryCPU)]
        for (index, cpu) in cpus.enumerated() {
            // If A == cpu, skip 0 to the next instruction (return index), else skip it.
            code.append(curing_sock_filter(code: jumpIfEqual, jt: 0, jf: 1, k: UInt32(cpu)))
            code.append(curing_sock_filter(code: returnConstant, jt: 0, jf: 0, k: UInt32(index)))
        }
        code.append(curing_sock_filter(code: returnConstant, jt: 0, jf: 0, k: UInt32.max))
        return code
    }

    /// Attaches the program to the reuseport group through one of its listeners.
    public static func attach(to listener: Int32, cpus: [Int]) throws(SetupError) {
        var code = program(cpus: cpus)
        let r = code.withUnsafeMutableBufferPointer { curing_attach_reuseport_cbpf(listener, $0.baseAddress, UInt16($0.count)) }
        if r != 0 { throw .call("setsockopt(SO_ATTACH_REUSEPORT_CBPF)", errno: -r) }
    }
}
