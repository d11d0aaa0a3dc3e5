//go:build unix

package download

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// openWorking opens a working file (NAME.part, NAME.part.validator, the lock file) for
// reading and writing, creating it when create is set, without following a symbolic link
// (O_NOFOLLOW) and without blocking on a FIFO or device (O_NONBLOCK, cleared once the file
// is known to be regular). Anything but a regular file with a single link is refused with
// an error naming the path, so nothing is ever written outside the target directory.
func openWorking(path string, create bool) (*os.File, error) {
	flags := syscall.O_RDWR | syscall.O_NOFOLLOW | syscall.O_NONBLOCK | syscall.O_CLOEXEC
	if create {
		flags |= syscall.O_CREAT
	}
	var fd int
	var err error
	for {
		fd, err = syscall.Open(path, flags, 0o644)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		switch {
		case errors.Is(err, syscall.ELOOP), errors.Is(err, syscall.EMLINK):
			return nil, &unsafeFileError{path, "is a symbolic link"}
		case errors.Is(err, syscall.ENXIO), errors.Is(err, syscall.EISDIR), errors.Is(err, syscall.ETXTBSY):
			return nil, &unsafeFileError{path, "is not a regular file"}
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		syscall.Close(fd)
		return nil, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		syscall.Close(fd)
		return nil, &unsafeFileError{path, "is not a regular file"}
	}
	if st.Nlink > 1 {
		syscall.Close(fd)
		return nil, &unsafeFileError{path, fmt.Sprintf("has %d hard links (writing to it would change another file)", st.Nlink)}
	}
	if err := syscall.SetNonblock(fd, false); err != nil {
		syscall.Close(fd)
		return nil, &os.PathError{Op: "fcntl", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// tryLock takes an exclusive lock on f without waiting; ok is false when another process
// holds it.
func tryLock(f *os.File) (ok bool, err error) {
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			break
		}
	}
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}

// openRead opens an existing file for reading without following a symbolic link or
// blocking on a FIFO, and refuses anything but a regular file.
func openRead(path string) (*os.File, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, &unsafeFileError{path, "is a symbolic link"}
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		syscall.Close(fd)
		return nil, &unsafeFileError{path, "is not a regular file"}
	}
	if err := syscall.SetNonblock(fd, false); err != nil {
		syscall.Close(fd)
		return nil, &os.PathError{Op: "fcntl", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}
