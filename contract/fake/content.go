package fake

import (
	"container/list"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"sync"
)

const blockSize = 64 << 10

// Content returns the deterministic bytes the fake serves for a file: exactly size×1024 bytes
// that depend on the file's name and on the position, so a resumed download that splices
// at a wrong offset does not match. Tests use it to compute the expected digest.
//
// The 64 KiB block the content repeats (with each block's index mixed into its first 8 bytes)
// is derived from the name by a chain of 2,048 SHA-256 calls; it is kept in a small
// process-wide LRU cache (blockCacheEntries names, about 16 MiB at most), so repeated
// requests for the same file do not derive it again. The cache changes no byte.
func Content(name string, sizeKB int64) *ContentReader {
	return &ContentReader{base: blocks.get(name), size: sizeKB * 1024}
}

// baseBlock derives a name's 64 KiB block (the bytes are part of the fake's contract:
// recorded digests depend on them).
func baseBlock(name string) []byte {
	seed := sha256.Sum256([]byte(name))
	base := make([]byte, blockSize)
	for i := 0; i < blockSize; i += sha256.Size {
		copy(base[i:], seed[:])
		seed = sha256.Sum256(seed[:])
	}
	return base
}

// blockCacheEntries bounds the block cache: 256 × 64 KiB = 16 MiB.
const blockCacheEntries = 256

var blocks = newBlockCache(blockCacheEntries)

// blockCache is a concurrency-safe LRU cache of base blocks by name. Concurrent first
// requests for one name derive its block once (the entry's sync.Once); a block evicted
// while a reader still holds it stays valid for that reader (blocks are never written).
type blockCache struct {
	mu      sync.Mutex
	max     int
	order   *list.List // of *blockEntry, most recently used first
	entries map[string]*list.Element
}

type blockEntry struct {
	name string
	once sync.Once
	base []byte
}

func newBlockCache(max int) *blockCache {
	return &blockCache{max: max, order: list.New(), entries: make(map[string]*list.Element, max)}
}

func (c *blockCache) get(name string) []byte {
	c.mu.Lock()
	var e *blockEntry
	if el, ok := c.entries[name]; ok {
		c.order.MoveToFront(el)
		e = el.Value.(*blockEntry)
	} else {
		e = &blockEntry{name: name}
		c.entries[name] = c.order.PushFront(e)
		for c.order.Len() > c.max {
			last := c.order.Back()
			c.order.Remove(last)
			delete(c.entries, last.Value.(*blockEntry).name)
		}
	}
	c.mu.Unlock()
	e.once.Do(func() { e.base = baseBlock(name) })
	return e.base
}

// len returns the number of cached blocks (for tests).
func (c *blockCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
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
