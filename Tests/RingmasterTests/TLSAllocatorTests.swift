// CTLS's allocator for OpenSSL (Sources/CTLS/allocator.c): installed before OpenSSL's first
// allocation, small blocks reused from the thread's free list, and realloc keeping the bytes
// when a block moves between the small and the large kind.
import CTLS
import Testing

@Suite struct TLSAllocatorTests {
    @Test func isInstalledBeforeOpenSSLAllocates() {
        #expect(ctls_allocator_installed() == 1)
    }

    @Test func aFreedSmallBlockIsTheNextSmallAllocation() {
        let first = CRYPTO_malloc(40, #file, #line)
        CRYPTO_free(first, #file, #line)
        let second = CRYPTO_malloc(24, #file, #line)
        #expect(first == second)
        CRYPTO_free(second, #file, #line)
    }

    @Test func reallocKeepsTheBytesAcrossKinds() throws {
        var block = try #require(CRYPTO_malloc(16, #file, #line))
        for i in 0..<16 { block.storeBytes(of: UInt8(i), toByteOffset: i, as: UInt8.self) }
        for size in [48, 4096, 100_000, 32, 16] {
            block = try #require(CRYPTO_realloc(block, size, #file, #line))
            for i in 0..<16 { #expect(block.load(fromByteOffset: i, as: UInt8.self) == UInt8(i), "after realloc to \(size)") }
            block.storeBytes(of: 0xAB, toByteOffset: size - 1, as: UInt8.self)
        }
        CRYPTO_free(block, #file, #line)
        #expect(CRYPTO_realloc(nil, 8, #file, #line).map { CRYPTO_free($0, #file, #line); return true } == true)
    }
}
