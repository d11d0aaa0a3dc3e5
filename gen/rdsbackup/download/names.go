package download

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
	"github.com/rdskit/rdsbackup/internal/textsafe"
)

// Working files kept beside a file while it downloads.
const (
	// PartSuffix is appended to a file's name while it downloads; the file is renamed to
	// its own name only once it is complete and checked.
	PartSuffix = ".part"
	// ValidatorSuffix names the small file that remembers, while NAME.part exists, the
	// object's validator (ETag or Last-Modified) so that a resume asks for the rest of the
	// same object (If-Range); it also marks a .part whose MD5 did not match, to start over.
	ValidatorSuffix = ".part.validator"
	// LockName is the lock file in the target directory: one download at a time per directory.
	LockName = ".rdsbackup.lock"
)

// MaxNameBytes is the longest file name accepted: 255 bytes (the usual file-system limit)
// less the longest working-file suffix, so that NAME.part.validator can always be created.
const MaxNameBytes = 255 - len(ValidatorSuffix)

// maxSizeKB is the largest size (in kilobytes) whose byte count fits an int64.
const maxSizeKB = math.MaxInt64 / 1024

// ErrUnsafeName is wrapped when a file name from the API cannot be written safely.
var ErrUnsafeName = errors.New("unsafe file name")

// ErrExists is wrapped when a different file is already there and Force is not set.
var ErrExists = errors.New("file exists")

// ErrBadSize is wrapped when the API lists a size that no file can have.
var ErrBadSize = errors.New("impossible file size")

// SafeFileName checks that name, as the API gave it, can be used as a file name inside a
// directory: not empty, not "." or "..", no path separator, no control, bidirectional or
// invisible format character, at most MaxNameBytes bytes, and local on this system
// (filepath.IsLocal, which also refuses reserved names on Windows).
func SafeFileName(name string) error {
	bad := func(why string) error {
		return fmt.Errorf("rds: %w %q: %s", ErrUnsafeName, textsafe.Escape(cut(name, 80)), why)
	}
	switch {
	case name == "":
		return bad("empty")
	case name == "." || name == "..":
		return bad("a directory reference")
	case strings.ContainsAny(name, `/\`):
		return bad("contains a path separator")
	case strings.ContainsFunc(name, textsafe.Dangerous):
		return bad("contains a control, bidirectional or invisible character")
	case len(name) > MaxNameBytes:
		return bad(fmt.Sprintf("longer than %d bytes (%d), no room for the working file %s", MaxNameBytes, len(name), ValidatorSuffix))
	case filepath.IsAbs(name) || !filepath.IsLocal(name):
		return bad("not a plain local file name")
	case name == LockName:
		return bad("it is the name of the directory's lock file")
	}
	return nil
}

// SizeFits reports whether a file of n bytes matches a size of sizeKB kilobytes as the API
// reports it: n in ((sizeKB-1)×1024, sizeKB×1024], and n == 0 for sizeKB == 0. Sizes whose
// byte count does not fit an int64 fit nothing.
func SizeFits(n, sizeKB int64) bool {
	if sizeKB <= 0 {
		return n == 0 && sizeKB == 0
	}
	if sizeKB > maxSizeKB {
		return false
	}
	return n > (sizeKB-1)*1024 && n <= sizeKB*1024
}

// checkFiles refuses a file list that could not be written safely: unsafe names, the same
// name twice, a name that is another file's working name, or an impossible size. It runs
// before anything is written, so one bad entry stops the whole batch.
func checkFiles(files []rdsbackup.BackupFile) error {
	names := make(map[string]bool, len(files))
	for _, f := range files {
		if err := SafeFileName(f.Name); err != nil {
			return err
		}
		if names[f.Name] {
			return fmt.Errorf("rds: %w %q: listed twice in the backup", ErrUnsafeName, textsafe.Escape(cut(f.Name, 80)))
		}
		names[f.Name] = true
		if f.Size < 0 || f.Size > maxSizeKB {
			return fmt.Errorf("rds: %w: file %q is listed with %d KB, which no file can have; nothing was downloaded", ErrBadSize, textsafe.Escape(cut(f.Name, 80)), f.Size)
		}
	}
	for _, f := range files {
		for _, suffix := range []string{PartSuffix, ValidatorSuffix} {
			if names[f.Name+suffix] {
				return fmt.Errorf("rds: %w %q: it is the working name of file %q", ErrUnsafeName, textsafe.Escape(cut(f.Name+suffix, 80)), textsafe.Escape(cut(f.Name, 80)))
			}
		}
	}
	return nil
}

// cut shortens s to at most n bytes on a rune boundary, marking the cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func isRuneStart(b byte) bool { return b&0xc0 != 0x80 }
