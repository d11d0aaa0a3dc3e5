package download

import (
	"crypto/md5"
	"encoding/hex"
	"github.com/rdskit/rdsbackup/internal/testutil"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rdskit/rdsbackup/contract/fake"
	"github.com/rdskit/rdsbackup/gen/rdsbackup"
)

// TestMain fails the package's tests if any goroutine is left running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const testToken = "tok-SECRET-0123456789"

// startFake runs the fake endpoint in process and returns a client of it (AK/SK auth).
func startFake(t *testing.T, cfg fake.Config) *rdsbackup.API {
	t.Helper()
	_, api := testutil.StartFakeAPI(t, cfg)
	return api
}

func mustAPI(t *testing.T, url string) *rdsbackup.API {
	t.Helper()
	api, err := rdsbackup.New(rdsbackup.WithEndpoint(url), rdsbackup.WithProjectID("97b026aa9cc4417888c14c84a1ad9860"),
		rdsbackup.WithToken(testToken), rdsbackup.WithRetries(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// objectServer serves one API answer listing f.bin of sizeKB, whose link is handled by obj;
// it counts the requests that reach the link.
func objectServer(t *testing.T, sizeKB int64, obj http.HandlerFunc) (*rdsbackup.API, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	o := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		obj(w, r)
	}))
	t.Cleanup(o.Close)
	a := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"files":[{"name":"f.bin","size":`+strconv.FormatInt(sizeKB, 10)+`,"download_link":"`+o.URL+`/f.bin?AccessKeyId=AKID&Signature=SECRETSIG","link_expired_time":"2099-01-01T00:00:00+0800"}],"bucket":"b"}`)
	}))
	t.Cleanup(a.Close)
	return mustAPI(t, a.URL), &hits
}

// fast makes a downloader whose retries wait 1 ms, recording each pause's attempt number.
func fast(d *Downloader, pauses *[]int) *Downloader {
	d.pause = func(n int) time.Duration {
		if pauses != nil {
			*pauses = append(*pauses, n)
		}
		return time.Millisecond
	}
	return d
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

func fileMD5(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return md5hex(b)
}

func contentMD5(name string, kb int64) string {
	h := md5.New()
	io.Copy(h, fake.Content(name, kb))
	return hex.EncodeToString(h.Sum(nil))
}
