//go:build linux

package download

import (
	"os"
	"syscall"
)

// startWriteback asks the kernel to start writing n bytes of f from off to disk, without
// waiting for it (sync_file_range with SYNC_FILE_RANGE_WRITE). Errors are ignored: the fsync
// before the rename is what guarantees the data is on disk.
func startWriteback(f *os.File, off, n int64) {
	const syncFileRangeWrite = 2 // SYNC_FILE_RANGE_WRITE
	_ = syscall.SyncFileRange(int(f.Fd()), off, n, syncFileRangeWrite)
}

// syncData waits until f's data (and the size, not the times) is on disk: fdatasync.
func syncData(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
