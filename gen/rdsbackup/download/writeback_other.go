//go:build !linux

package download

import "os"

// startWriteback does nothing here: the fsync before the rename writes everything.
func startWriteback(*os.File, int64, int64) {}
