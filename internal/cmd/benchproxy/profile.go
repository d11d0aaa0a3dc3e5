package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/rdskit/rdsbackup/internal/profiling"
)

// The hidden -cpuprofile FILE flag profiles the rdsproxy process of the throughput rounds
// without changing rdsproxy: a variant is built with `go build -overlay` adding the file
// below to its package main (nothing in the tree changes). With BENCHPROXY_CPUPROFILE set,
// the first SIGUSR1 starts a CPU profile (and mutex profiling), the second writes FILE and
// FILE.mutex, then FILE.done. Read it with `go tool pprof -top FILE`. The reference
// forwarder (serve-forward, this program) does the same into FILE.forward.
const profileSource = `package main

import (
	"os"

	"github.com/rdskit/rdsbackup/internal/profiling"
)

func init() { profiling.OnSignal(os.Getenv(profiling.EnvFile)) }
`

// buildProfiled builds the profiling variant of rdsproxy into dir.
func buildProfiled(ctx context.Context, dir string) (string, error) {
	abs, err := filepath.Abs("cmd/rdsproxy/zz_benchproxy_profile.go")
	if err != nil {
		return "", err
	}
	src := filepath.Join(dir, "profile.go")
	overlay := filepath.Join(dir, "overlay.json")
	ov, _ := json.Marshal(map[string]map[string]string{"Replace": {abs: src}})
	if err := os.WriteFile(src, []byte(profileSource), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(overlay, ov, 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "rdsproxy-profiled")
	if out, err := exec.CommandContext(ctx, "go", "build", "-overlay", overlay, "-o", bin, "./cmd/rdsproxy").CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the profiling rdsproxy: %v\n%s", err, out)
	}
	return bin, nil
}

// profileEnv is the environment of the profiling rdsproxy: where to write the profile (an
// absolute path, the stale files of an earlier run removed).
func profileEnv(file string) ([]string, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	for _, f := range []string{abs, abs + ".mutex", abs + ".done"} {
		_ = os.Remove(f)
	}
	return append(os.Environ(), profiling.EnvFile+"="+abs), nil
}

// profile starts the CPU profile of rdsproxy when -cpuprofile is set, and returns what
// stops it and waits (at most 10 s) for the files.
func (b *bench) profile() func() {
	if b.c.cpuProfile == "" {
		return func() {}
	}
	pids := []int{b.px.cmd.Process.Pid}
	if b.fwd != nil {
		pids = append(pids, b.fwd.proc.cmd.Process.Pid)
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGUSR1)
	}
	return func() {
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGUSR1)
		}
		files := []string{b.c.cpuProfile, b.c.cpuProfile + ".forward"}[:len(pids)]
		deadline := time.Now().Add(10 * time.Second)
		for _, f := range files {
			for time.Now().Before(deadline) {
				if _, err := os.Stat(f + ".done"); err == nil {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		b.profileNote = fmt.Sprintf("CPU profiles of the throughput rounds (each with FILE.mutex): %s", strings.Join(files, ", "))
	}
}
