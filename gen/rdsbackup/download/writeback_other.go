//go:build !linux

package download

import "os"

// startWriteback does nothing here: the fsync before the rename writes everything.
func startWriteback(*os.File, int64, int64) {}

// syncData waits until f is on disk.
func syncData(f *os.File) error { return f.Sync() }
