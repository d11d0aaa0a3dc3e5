package download

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rdskit/rdsbackup/internal/textsafe"
)

// unsafeFileError is returned when a working file is a link, a FIFO, a device or a
// directory, or has other hard links: it is never written through.
type unsafeFileError struct {
	Path string
	Why  string
}

func (e *unsafeFileError) Error() string {
	return fmt.Sprintf("%s %s; refusing to write through it (remove it and run again)", e.Path, e.Why)
}

// ErrLocked is wrapped when another run holds the directory's lock and NoWait is set.
var ErrLocked = errors.New("directory in use by another download")

// lockDir takes the directory's lock file, waiting (and saying so once through logf) while
// another process holds it, unless noWait. The returned file holds the lock until closed.
func lockDir(ctx context.Context, dir string, noWait bool, logf func(string, ...any)) (*os.File, error) {
	path := filepath.Join(dir, LockName)
	f, err := openWorking(path, true)
	if err != nil {
		return nil, fmt.Errorf("rds: lock file: %w", err)
	}
	said := false
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("rds: locking %s: %w", path, err)
		}
		if ok {
			break
		}
		holder := readHolder(f)
		if noWait {
			f.Close()
			return nil, fmt.Errorf("rds: %w: %s is held by %s", ErrLocked, path, holder)
		}
		if !said {
			logf("waiting for %s, held by %s (another download into the same directory)", path, holder)
			said = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("rds: stopped while waiting for %s, held by %s; nothing was downloaded: %w", path, holder, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	host, _ := os.Hostname()
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(fmt.Sprintf("pid %d on %s since %s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))), 0)
	return f, nil
}

// readHolder returns the lock file's description of its holder.
func readHolder(f *os.File) string {
	b := make([]byte, 200)
	n, _ := f.ReadAt(b, 0)
	s := strings.TrimSpace(string(b[:n]))
	if s == "" {
		return "another process"
	}
	return textsafe.Escape(s)
}
