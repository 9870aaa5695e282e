// Opening a requested file under a directory route's root, so that no request path can leave
// the root: the path is already normalised (RequestPath), and openat2's RESOLVE_BENEATH makes
// the kernel refuse whatever normalisation cannot see (symlinks pointing out, a `..` inside a
// link target). Synchronous on the worker thread: see docs/files.md for why that is acceptable.
import CURing
import Glibc

/// What a request's file turned out to be.
struct FileFacts: Equatable {
    var size: UInt64
    var device: UInt64
    var inode: UInt64
    var modifiedSeconds: Int64
    var modifiedNanoseconds: UInt32
    var isDirectory: Bool
}

/// Why a file cannot be served, as the status to answer with.
enum FileOpenFailure: Error {
    /// Missing, not a regular file or directory, or a path component is not a directory.
    case notFound
    /// Permission denied, or a symlink the route's policy refuses (leaving the root, or any
    /// link under `symlinks: never`): 403, as nginx's disable_symlinks answers.
    case forbidden
    /// Out of descriptors or another local failure: 500 (counted, the file may be fine).
    case unavailable
}

enum FileOpener {
    /// The root's descriptor: O_PATH (no read permission needed on the directory itself,
    /// nothing to read through it) and O_DIRECTORY. -1 when it cannot be opened; a route
    /// whose root vanished answers 404 rather than failing the worker.
    static func openRoot(_ path: String) -> Int32 {
        Glibc.open(path, CURING_O_PATH | O_DIRECTORY | O_CLOEXEC)
    }

    /// RESOLVE_* bits for openat2(2): always BENEATH (no escape by `..` or an absolute or
    /// outward symlink) and NO_MAGICLINKS (no /proc/self/fd tricks); NO_SYMLINKS too when
    /// the policy refuses every link.
    static func resolveFlags(_ policy: DirectoryOptions.Symlinks) -> UInt64 {
        var flags = UInt64(RESOLVE_BENEATH) | UInt64(RESOLVE_NO_MAGICLINKS)
        if policy == .never { flags |= UInt64(RESOLVE_NO_SYMLINKS) }
        return flags
    }

    /// Opens `path` (relative, NUL-terminated) under `root` for reading and reads its
    /// metadata. O_NONBLOCK so a FIFO planted in the root cannot stall the worker in open;
    /// anything but a regular file or a directory is refused after fstat.
    static func open(root: Int32, path: UnsafePointer<CChar>, resolve: UInt64) -> Result<(fd: Int32, facts: FileFacts), FileOpenFailure> {
        guard root >= 0 || root == AT_FDCWD else { return .failure(.notFound) }
        let fd = curing_openat2(root, path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, resolve)
        if fd < 0 {
            switch -fd {
            case ENOENT, ENOTDIR, ENAMETOOLONG: return .failure(.notFound)
            // EXDEV: RESOLVE_BENEATH saw the path leave the root; ELOOP: a link that
            // RESOLVE_NO_SYMLINKS or NO_MAGICLINKS refused.
            case EACCES, EPERM, EXDEV, ELOOP: return .failure(.forbidden)
            default: return .failure(.unavailable)
            }
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            return .failure(.unavailable)
        }
        let type = st.st_mode & S_IFMT
        guard type == S_IFREG || type == S_IFDIR else {
            close(fd)
            return .failure(.notFound)
        }
        let facts = FileFacts(size: UInt64(st.st_size), device: UInt64(st.st_dev), inode: UInt64(st.st_ino),
                              modifiedSeconds: Int64(st.st_mtim.tv_sec), modifiedNanoseconds: UInt32(st.st_mtim.tv_nsec),
                              isDirectory: type == S_IFDIR)
        return .success((fd, facts))
    }

    /// Reads the whole of a small file into `into` with pread(2); false on a short read (the
    /// file shrank) or an error, so the caller serves it another way or not at all.
    static func readAll(fd: Int32, count: Int, into: UnsafeMutableRawPointer) -> Bool {
        var done = 0
        while done < count {
            let n = pread(fd, into + done, count - done, off_t(done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            done += n
        }
        return true
    }
}
