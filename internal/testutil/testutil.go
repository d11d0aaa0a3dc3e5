// Package testutil holds the helpers that several test packages share: a buffer safe for
// concurrent writers and readers, and starting the offline fake endpoint (and a client of it)
// for one test.
package testutil

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/rdskit/rdsbackup/contract/fake"
	"github.com/rdskit/rdsbackup/gen/rdsbackup"
)

// Project is the project ID the tests' fakes serve: 32 hexadecimal characters, as a real one.
const Project = "97b026aa9cc4417888c14c84a1ad9860"

// SyncBuffer is a bytes.Buffer that a server's log (or a command's output) may write while
// the test reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// StartFake starts the fake endpoint with cfg (ProjectID defaults to Project) on a free
// loopback port for the rest of the test, and returns it with its base URL.
func StartFake(t testing.TB, cfg fake.Config) (*fake.Server, string) {
	t.Helper()
	if cfg.ProjectID == "" {
		cfg.ProjectID = Project
	}
	srv, err := fake.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	url, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, url
}

// AccessKey and SecretKey are the AK/SK pair that StartFakeAPI's fake accepts.
const (
	AccessKey = "AK"
	SecretKey = "SK-SECRET-0123456789"
)

// StartFakeAPI starts the fake with cfg, accepting AccessKey/SecretKey, and returns it with a
// client of it that signs with that pair and retries once, quickly.
func StartFakeAPI(t testing.TB, cfg fake.Config) (*fake.Server, *rdsbackup.API) {
	t.Helper()
	if cfg.ProjectID == "" {
		cfg.ProjectID = Project
	}
	cfg.AccessKey, cfg.SecretKey = AccessKey, SecretKey
	srv, url := StartFake(t, cfg)
	api, err := rdsbackup.New(rdsbackup.WithEndpoint(url), rdsbackup.WithProjectID(cfg.ProjectID),
		rdsbackup.WithAKSK(AccessKey, SecretKey, ""), rdsbackup.WithRetries(1, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return srv, api
}
