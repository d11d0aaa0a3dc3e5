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

// writebackEvery: after this many bytes the writer asks the kernel to start writing them to
// disk (without waiting), so that the fsync before the rename finds little left to do.
const writebackEvery = 8 << 20

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
	at      int64 // the file's offset when the copy starts
	dig     *digests
	onWrite func(n int64) // progress; called from the writer goroutine only
}

// copy appends at most limit bytes of r to the file (its offset must be at the end) and to
// the digests. It returns the bytes written; read errors and write errors are returned as
// they came (a write error wins). Cancelling ctx stops it after the chunk in hand.
func (p *pipe) copy(ctx context.Context, r io.Reader, limit int64) (int64, error) {
	st := p.start()
	var rerr error
	var read int64
	for {
		c := st.chunk()
		want := int64(len(c.b))
		if rest := limit - read; rest < want {
			want = rest
		}
		n, err := fill(r, c.b[:want])
		read += int64(n)
		st.dispatch(c, n)
		if err != nil || read >= limit {
			rerr = err
			break
		}
		if st.failed() || ctx.Err() != nil {
			break
		}
	}
	written, werr := st.stop()
	if werr != nil {
		return written, werr
	}
	if rerr == nil && ctx.Err() != nil {
		rerr = context.Cause(ctx)
	}
	return written, rerr
}

// stages is a running copy: the writer and hasher goroutines and the chunks they share.
type stages struct {
	consumers int32
	free      chan *chunk
	allocated int
	wch       chan *chunk
	hch       []chan *chunk
	written   atomic.Int64
	werr      atomic.Pointer[error]
	wg        sync.WaitGroup
}

// start launches the writer and one hasher per digest.
func (p *pipe) start() *stages {
	hs := p.dig.hashes()
	st := &stages{consumers: int32(1 + len(hs)), free: make(chan *chunk, chunksPerFile), wch: make(chan *chunk, chunksPerFile)}
	st.wg.Add(1)
	go func() {
		defer st.wg.Done()
		var flushed int64 // bytes handed to the kernel's writeback so far
		for c := range st.wch {
			if st.werr.Load() == nil {
				n, err := p.out.Write(c.b[:c.n])
				w := st.written.Add(int64(n))
				if w-flushed >= writebackEvery {
					startWriteback(p.out, p.at+flushed, w-flushed)
					flushed = w
				}
				if p.onWrite != nil && n > 0 {
					p.onWrite(int64(n))
				}
				if err != nil {
					var e error = &writeError{err}
					st.werr.Store(&e)
				}
			}
			st.release(c)
		}
	}()
	st.hch = make([]chan *chunk, len(hs))
	for i, h := range hs {
		st.hch[i] = make(chan *chunk, chunksPerFile)
		st.wg.Add(1)
		go func() {
			defer st.wg.Done()
			for c := range st.hch[i] {
				h.Write(c.b[:c.n])
				st.release(c)
			}
		}()
	}
	return st
}

// chunk returns a free chunk, allocating up to chunksPerFile, then waiting for one.
func (st *stages) chunk() *chunk {
	select {
	case c := <-st.free:
		return c
	default:
	}
	if st.allocated < chunksPerFile {
		st.allocated++
		return chunkPool.Get().(*chunk)
	}
	return <-st.free
}

// dispatch hands the first n bytes of c to the writer and every hasher (or frees c).
func (st *stages) dispatch(c *chunk, n int) {
	if n == 0 {
		st.free <- c
		return
	}
	c.n = n
	c.pending.Store(st.consumers)
	st.wch <- c
	for _, ch := range st.hch {
		ch <- c
	}
}

// release returns c once every consumer is done with it.
func (st *stages) release(c *chunk) {
	if c.pending.Add(-1) == 0 {
		st.free <- c
	}
}

func (st *stages) failed() bool { return st.werr.Load() != nil }

// stop waits for the consumers, returns the chunks to the pool and reports what was written.
func (st *stages) stop() (int64, error) {
	close(st.wch)
	for _, ch := range st.hch {
		close(ch)
	}
	st.wg.Wait()
	for len(st.free) > 0 {
		chunkPool.Put(<-st.free)
	}
	if e := st.werr.Load(); e != nil {
		return st.written.Load(), *e
	}
	return st.written.Load(), nil
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
