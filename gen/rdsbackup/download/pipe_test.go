package download

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"
)

// TestPipeCopiesAndHashes: what the pipe writes and hashes is exactly what it read, for
// sizes around the chunk boundaries and readers that return few bytes at a time.
func TestPipeCopiesAndHashes(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, chunkSize - 1, chunkSize, chunkSize + 1, chunksPerFile*chunkSize + 12345} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		for name, r := range map[string]io.Reader{"whole": bytes.NewReader(data), "one byte": iotest.OneByteReader(bytes.NewReader(data)), "half": iotest.HalfReader(bytes.NewReader(data))} {
			if name == "one byte" && size > chunkSize+1 {
				continue
			}
			out, err := os.Create(filepath.Join(t.TempDir(), "f"))
			if err != nil {
				t.Fatal(err)
			}
			dig := newDigests(true)
			var progress int64
			n, err := (&pipe{out: out, dig: dig, onWrite: func(k int64) { progress += k }}).copy(context.Background(), r, int64(size)+1)
			out.Close()
			got, _ := os.ReadFile(out.Name())
			wantMD5, wantSHA := md5.Sum(data), sha256.Sum256(data)
			if !errors.Is(err, io.EOF) || n != int64(size) || progress != n || !bytes.Equal(got, data) ||
				dig.MD5() != hex.EncodeToString(wantMD5[:]) || dig.SHA256() != hex.EncodeToString(wantSHA[:]) {
				t.Fatalf("size %d, %s: n=%d progress=%d err=%v, file equal %v", size, name, n, progress, err, bytes.Equal(got, data))
			}
		}
	}
}

// TestPipeWriteErrorIsTheDisks: a failing write is reported as a writeError (not retried as a
// network failure) and stops the copy.
func TestPipeWriteErrorIsTheDisks(t *testing.T) {
	t.Parallel()
	out, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	out.Close() // writes now fail
	_, err = (&pipe{out: out, dig: newDigests(false)}).copy(context.Background(), bytes.NewReader(make([]byte, 3*chunkSize)), 3*chunkSize+1)
	var we *writeError
	if !errors.As(err, &we) {
		t.Fatalf("err = %v, want a writeError", err)
	}
}
