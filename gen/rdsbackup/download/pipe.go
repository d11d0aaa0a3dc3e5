package download

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"os"
	"sync"
	"sync/atomic"
)

// chunkSize is the unit that moves from the network to the disk and the hashes.
const chunkSize = 256 << 10

// chunksPerFile bounds the chunks in flight for one file (2 MiB).
const chunksPerFile = 8

var chunkPool = sync.Pool{New: func() any { return &chunk{b: make([]byte, chunkSize)} }}

type chunk struct {
	b       []byte
	n       int
	pending atomic.Int32
}

// digests computes a file's MD5 and, when asked, SHA-256.
type digests struct {
	md5    hash.Hash
	sha256 hash.Hash // nil unless asked
}

func newDigests(withSHA256 bool) *digests {
	d := &digests{md5: md5.New()}
	if withSHA256 {
		d.sha256 = sha256.New()
	}
	return d
}

func (d *digests) reset() {
	d.md5.Reset()
	if d.sha256 != nil {
		d.sha256.Reset()
	}
}

func (d *digests) hashes() []hash.Hash {
	if d.sha256 == nil {
		return []hash.Hash{d.md5}
	}
	return []hash.Hash{d.md5, d.sha256}
}

// MD5 returns the hex MD5 of what was written so far.
func (d *digests) MD5() string { return hex.EncodeToString(d.md5.Sum(nil)) }

// SHA256 returns the hex SHA-256, or "" when not asked for.
func (d *digests) SHA256() string {
	if d.sha256 == nil {
		return ""
	}
	return hex.EncodeToString(d.sha256.Sum(nil))
}

// hashFile feeds the first n bytes of f to the digests (a resumed .part, an existing file).
func (d *digests) hashFile(ctx context.Context, f *os.File, n int64) error {
	c := chunkPool.Get().(*chunk)
	defer chunkPool.Put(c)
	var off int64
	for off < n {
		if err := ctx.Err(); err != nil {
			return err
		}
		want := int64(len(c.b))
		if n-off < want {
			want = n - off
		}
		m, err := f.ReadAt(c.b[:want], off)
		for _, h := range d.hashes() {
			h.Write(c.b[:m])
		}
		off += int64(m)
		if err != nil && !(errors.Is(err, io.EOF) && off == n) {
			if errors.Is(err, io.EOF) {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// pipe copies a body to a file and to the digests at once: this goroutine reads, one
// goroutine writes and one per digest hashes, each chunk shared by all of them, so hashing
// runs beside the write rather than in series with it.
type pipe struct {
	out     *os.File
	dig     *digests
	onWrite func(n int64) // progress; called from the writer goroutine only
}

// copy appends at most limit bytes of r to the file (its offset must be at the end) and to
// the digests. It returns the bytes written; read errors and write errors are returned as
// they came (a write error wins). Cancelling ctx stops it after the chunk in hand.
func (p *pipe) copy(ctx context.Context, r io.Reader, limit int64) (int64, error) {
	hs := p.dig.hashes()
	consumers := int32(1 + len(hs))
	free := make(chan *chunk, chunksPerFile)
	allocated := 0
	release := func(c *chunk) {
		if c.pending.Add(-1) == 0 {
			free <- c
		}
	}
	wch := make(chan *chunk, chunksPerFile)
	var written atomic.Int64
	var werr atomic.Pointer[error]
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for c := range wch {
			if werr.Load() == nil {
				n, err := p.out.Write(c.b[:c.n])
				written.Add(int64(n))
				if p.onWrite != nil && n > 0 {
					p.onWrite(int64(n))
				}
				if err != nil {
					var e error = &writeError{err}
					werr.Store(&e)
				}
			}
			release(c)
		}
	}()
	hch := make([]chan *chunk, len(hs))
	for i, h := range hs {
		hch[i] = make(chan *chunk, chunksPerFile)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range hch[i] {
				h.Write(c.b[:c.n])
				release(c)
			}
		}()
	}
	var rerr error
	var read int64
	for {
		var c *chunk
		select {
		case c = <-free:
		default:
			if allocated < chunksPerFile {
				c = chunkPool.Get().(*chunk)
				allocated++
			} else {
				c = <-free
			}
		}
		want := int64(len(c.b))
		if rest := limit - read; rest < want {
			want = rest
		}
		n, err := fill(r, c.b[:want])
		read += int64(n)
		if n > 0 {
			c.n = n
			c.pending.Store(consumers)
			wch <- c
			for _, ch := range hch {
				ch <- c
			}
		} else {
			free <- c
		}
		if err != nil || read >= limit {
			rerr = err
			break
		}
		if werr.Load() != nil || ctx.Err() != nil {
			break
		}
	}
	close(wch)
	for _, ch := range hch {
		close(ch)
	}
	wg.Wait()
	for len(free) > 0 { // every chunk is back once the consumers are done
		chunkPool.Put(<-free)
	}
	if e := werr.Load(); e != nil {
		return written.Load(), *e
	}
	if rerr == nil && ctx.Err() != nil {
		rerr = context.Cause(ctx)
	}
	return written.Load(), rerr
}

// writeError marks an error of the disk, not of the network: trying again will not help.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

// fill reads into b until it is full or the reader fails; unlike io.ReadFull it returns the
// reader's own error (io.EOF at a clean end, io.ErrUnexpectedEOF for a body cut short).
func fill(r io.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
