package fake

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
)

const blockSize = 64 << 10

// Content returns the deterministic bytes the fake serves for a file: exactly size×1024 bytes
// that depend on the file's name and on the position, so a resumed download that splices
// at a wrong offset does not match. Tests use it to compute the expected digest.
func Content(name string, sizeKB int64) *ContentReader {
	seed := sha256.Sum256([]byte(name))
	base := make([]byte, blockSize)
	for i := 0; i < blockSize; i += sha256.Size {
		copy(base[i:], seed[:])
		seed = sha256.Sum256(seed[:])
	}
	return &ContentReader{base: base, size: sizeKB * 1024}
}

// ContentReader reads a file's deterministic content. It implements io.ReadSeeker and
// io.ReaderAt.
type ContentReader struct {
	base []byte
	size int64
	off  int64
}

// Size returns the content's length in bytes.
func (c *ContentReader) Size() int64 { return c.size }

// ReadAt fills p from offset off.
func (c *ContentReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("fake content: negative offset")
	}
	if off >= c.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && off < c.size {
		block := off / blockSize
		within := int(off % blockSize)
		chunk := blockSize - within
		if rest := c.size - off; int64(chunk) > rest {
			chunk = int(rest)
		}
		if chunk > len(p)-n {
			chunk = len(p) - n
		}
		copy(p[n:n+chunk], c.base[within:within+chunk])
		if within < 8 { // each block starts with its index, so blocks differ
			var idx [8]byte
			binary.BigEndian.PutUint64(idx[:], uint64(block))
			for i := within; i < 8 && i-within < chunk; i++ {
				p[n+i-within] ^= idx[i]
			}
		}
		n += chunk
		off += int64(chunk)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Read reads from the current offset.
func (c *ContentReader) Read(p []byte) (int, error) {
	n, err := c.ReadAt(p, c.off)
	c.off += int64(n)
	return n, err
}

// Seek sets the offset for the next Read.
func (c *ContentReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += c.off
	case io.SeekEnd:
		offset += c.size
	default:
		return 0, errors.New("fake content: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("fake content: negative position")
	}
	c.off = offset
	return offset, nil
}
