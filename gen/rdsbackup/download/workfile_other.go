//go:build !unix

package download

import (
	"os"
)

// openWorking opens a working file after checking with Lstat that it is absent or a regular
// file. Without O_NOFOLLOW this is weaker than on Unix: a link placed between the check and
// the open is followed.
func openWorking(path string, create bool) (*os.File, error) {
	if st, err := os.Lstat(path); err == nil && !st.Mode().IsRegular() {
		return nil, &unsafeFileError{path, "is not a regular file"}
	}
	flags := os.O_RDWR
	if create {
		flags |= os.O_CREATE
	}
	return os.OpenFile(path, flags, 0o644)
}

// tryLock is not implemented on this system: every run proceeds.
func tryLock(*os.File) (bool, error) { return true, nil }

// openRead opens an existing regular file for reading.
func openRead(path string) (*os.File, error) {
	if st, err := os.Lstat(path); err == nil && !st.Mode().IsRegular() {
		return nil, &unsafeFileError{path, "is not a regular file"}
	}
	return os.Open(path)
}
