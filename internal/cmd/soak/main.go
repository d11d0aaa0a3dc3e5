// Command soak runs a bounded soak of rdsfake on loopback: many connections sending a mix of
// valid (token and AK/SK), invalid and unauthenticated requests for a fixed time, while the
// fake's resident memory and open file descriptors are sampled. It fails (exit 1) on any
// unexpected status, any 5xx, or memory or descriptors that keep growing.
//
//	go run ./internal/cmd/soak [-duration 60s] [-conns 64]
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"github.com/rdskit/rdsbackup/internal/version"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rdskit/rdsbackup/contract/fake"
	"github.com/rdskit/rdsbackup/gen/rdsbackup/signer"
	"github.com/rdskit/rdsbackup/internal/loadgen"
)

const projectID = "97b026aa9cc4417888c14c84a1ad9860"

func main() {
	duration := flag.Duration("duration", 60*time.Second, "how long the load runs (at most 10m)")
	conns := flag.Int("conns", 64, "concurrent connections")
	every := flag.Duration("sample", 5*time.Second, "how often memory and descriptors are sampled")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.String("soak"))
		return
	}
	if err := run(*duration, *conns, *every); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

type sample struct {
	at       time.Duration
	rssKB    int64
	fds      int
	requests int64
}

func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	return -1
}

func fds(pid int) int {
	e, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(e)
}

// run builds and starts rdsfake, sends it the load while sampling its memory and
// descriptors, and returns an error naming every problem found.
func run(duration time.Duration, conns int, every time.Duration) error {
	tmp, err := os.MkdirTemp("", "soak")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	cmd, base, err := startFake(tmp)
	if err != nil {
		return err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	reqs, err := soakRequests(base)
	if err != nil {
		return err
	}
	pid := cmd.Process.Pid
	fmt.Printf("soak: rdsfake pid %d, %d connections, %v, %d request kinds\n", pid, conns, duration, len(reqs))
	res, samples, err := loadWhileSampling(pid, loadgen.Config{Requests: reqs, Conns: conns, Duration: duration}, every)
	if err != nil {
		return err
	}
	fmt.Println("load:", res)
	for name, n := range res.ByName {
		fmt.Printf("  %-18s %d\n", name, n)
	}
	problems := append(statusProblems(res), growthProblems(samples)...)
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	fmt.Println("soak: passed (no unexpected status, no 5xx, memory and descriptors flat)")
	return nil
}

// startFake builds rdsfake into dir and starts it on a free loopback port with a token and an
// AK/SK pair, returning the running command (its caller kills and waits for it) and its base URL.
func startFake(dir string) (*exec.Cmd, string, error) {
	bin := filepath.Join(dir, "rdsfake")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/rdsfake").CombinedOutput(); err != nil {
		return nil, "", fmt.Errorf("building rdsfake: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--project-id", projectID, "--token", "soak-token", "--ak", "SOAKAK", "--log-format", "none")
	cmd.Env = append(os.Environ(), "RDSFAKE_SK=soak-secret")
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, "", fmt.Errorf("rdsfake did not start: %w", err)
	}
	go io.Copy(io.Discard, out)
	return cmd, strings.TrimPrefix(strings.TrimSpace(line), "listening on "), nil
}

// soakRequests is the mix of valid (token and AK/SK), invalid and unauthenticated requests
// sent to the fake at base, each with the statuses it may get.
func soakRequests(base string) ([]loadgen.Request, error) {
	ok := base + "/v3/" + projectID + "/backup-files?backup_id=" + fake.DemoPostgresDBLevel
	signed, _ := http.NewRequest(http.MethodGet, ok, nil)
	// One signature, valid for the gateway's 15 minutes: enough for a soak of at most 10.
	if err := (&signer.Signer{AccessKey: "SOAKAK", SecretKey: "soak-secret", ProjectID: projectID}).Sign(signed); err != nil {
		return nil, err
	}
	tok := http.Header{"X-Auth-Token": {"soak-token"}}
	return []loadgen.Request{
		{Name: "valid token", URL: ok, Header: tok, Weight: 4, Want: []int{200}},
		{Name: "valid AK/SK", URL: ok, Header: signed.Header, Weight: 2, Want: []int{200}},
		{Name: "missing backup_id", URL: base + "/v3/" + projectID + "/backup-files", Header: tok, Want: []int{400}},
		{Name: "unknown backup", URL: base + "/v3/" + projectID + "/backup-files?backup_id=nope", Header: tok, Want: []int{404}},
		{Name: "other project", URL: base + "/v3/other/backup-files?backup_id=x", Header: tok, Want: []int{403}},
		{Name: "unauthenticated", URL: ok, Want: []int{401}},
		{Name: "wrong token", URL: ok, Header: http.Header{"X-Auth-Token": {"wrong"}}, Want: []int{401}},
		{Name: "unknown path", URL: base + "/v3/" + projectID + "/nothing", Header: tok, Want: []int{404}},
	}, nil
}

// loadWhileSampling runs the load and, meanwhile, samples pid's resident memory and open
// descriptors every interval (and once more shortly after the load), printing each sample.
func loadWhileSampling(pid int, cfg loadgen.Config, every time.Duration) (loadgen.Result, []sample, error) {
	fmt.Printf("%8s %10s %6s\n", "elapsed", "rss", "fds")
	var samples []sample
	start := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan loadgen.Result, 1)
	errc := make(chan error, 1)
	go func() {
		res, err := loadgen.Run(ctx, cfg)
		errc <- err
		done <- res
	}()
	tick := time.NewTicker(every)
	defer tick.Stop()
	take := func() {
		s := sample{at: time.Since(start).Round(time.Second), rssKB: rss(pid), fds: fds(pid)}
		samples = append(samples, s)
		fmt.Printf("%8v %7.1f MB %6d\n", s.at, float64(s.rssKB)/1024, s.fds)
	}
	take()
	var res loadgen.Result
loop:
	for {
		select {
		case <-tick.C:
			take()
		case err := <-errc:
			if err != nil {
				cancel()
				return loadgen.Result{}, nil, err
			}
			res = <-done
			break loop
		}
	}
	cancel()
	time.Sleep(200 * time.Millisecond)
	take()
	return res, samples, nil
}

// statusProblems lists unexpected statuses, 5xx responses and transport errors in res.
func statusProblems(res loadgen.Result) []string {
	var problems []string
	if res.Unexpected > 0 {
		problems = append(problems, fmt.Sprintf("%d unexpected statuses (%v)", res.Unexpected, res.FirstErrors))
	}
	for code, n := range res.Statuses {
		if code >= 500 {
			problems = append(problems, fmt.Sprintf("%d responses with status %d", n, code))
		}
	}
	if res.Errors > 0 {
		problems = append(problems, fmt.Sprintf("%d transport errors (%v)", res.Errors, res.FirstErrors))
	}
	return problems
}

// growthProblems prints the peaks of memory and descriptors and reports them if they kept
// growing: it compares the second half's peak with the first half's, after the warm-up
// sample. With fewer than four samples it says nothing.
func growthProblems(samples []sample) []string {
	if len(samples) < 4 {
		return nil
	}
	var problems []string
	mid := len(samples) / 2
	r1, f1 := peak(samples[1:mid])
	r2, f2 := peak(samples[mid : len(samples)-1])
	fmt.Printf("memory: first-half peak %.1f MB, second-half peak %.1f MB; descriptors: %d then %d (after the load: %d)\n",
		float64(r1)/1024, float64(r2)/1024, f1, f2, samples[len(samples)-1].fds)
	if r2 > r1+r1/4+4096 {
		problems = append(problems, fmt.Sprintf("resident memory grew from %d KB to %d KB", r1, r2))
	}
	if f2 > f1+8 {
		problems = append(problems, fmt.Sprintf("open descriptors grew from %d to %d", f1, f2))
	}
	return problems
}

// peak is the highest resident memory (KB) and descriptor count among ss.
func peak(ss []sample) (int64, int) {
	var r int64
	var f int
	for _, s := range ss {
		r, f = max(r, s.rssKB), max(f, s.fds)
	}
	return r, f
}
