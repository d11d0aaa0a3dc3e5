package download

import (
	"errors"
	"io"
	"io/fs"
	"strings"
)

// restartMark in the validator file means: NAME.part did not match the object; start over.
const restartMark = "restart"

// readState reads the validator file; found is false when there is none.
func readState(path string) (v string, found bool, err error) {
	f, err := openWorking(path, false)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1024))
	if err != nil {
		return "", false, err
	}
	v = strings.TrimSpace(string(b))
	if v != restartMark && !validValidator(v) {
		v = "" // unusable: resume without If-Range (the MD5 check still guards the result)
	}
	return v, true, nil
}

// writeState replaces the validator file's content with v.
func writeState(path, v string) error {
	f, err := openWorking(path, true)
	if err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		f.Close()
		return err
	}
	if _, err := f.WriteAt([]byte(v+"\n"), 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// validValidator accepts what can be sent back as If-Range: printable ASCII, bounded.
func validValidator(v string) bool {
	if v == "" || len(v) > 512 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return false
		}
	}
	return true
}
