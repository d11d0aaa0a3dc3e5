// Command benchfake measures rdsfake's request rate against two references in one run, on
// loopback with the same bounded load generator: a bare net/http handler that writes a fixed
// body (the ceiling on this machine) and Prism's mock server on the same spec.
//
//	go run ./internal/cmd/benchfake [-duration 5s] [-conns 8] [-rounds 3] [-prism PATH]
//
// Prism is optional: install it with `npm install @stoplight/prism-cli@5` in .bench/ (make
// bench-fake does). Each round measures the three servers one after another; the report gives
// the median of the rounds.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"github.com/rdskit/rdsbackup/internal/version"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/rdskit/rdsbackup/contract/fake"
	"github.com/rdskit/rdsbackup/internal/loadgen"
)

const projectID = "97b026aa9cc4417888c14c84a1ad9860"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve-bare" {
		serveBare()
		return
	}
	duration := flag.Duration("duration", 5*time.Second, "measurement per server and round")
	conns := flag.Int("conns", 8, "concurrent connections")
	rounds := flag.Int("rounds", 3, "rounds (the median is reported)")
	prism := flag.String("prism", ".bench/node_modules/.bin/prism", "path of the prism CLI; empty to skip")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.String("benchfake"))
		return
	}
	if err := run(*duration, *conns, *rounds, *prism); err != nil {
		fmt.Fprintln(os.Stderr, "benchfake:", err)
		os.Exit(1)
	}
}

// serveBare is the ceiling: a handler that writes a fixed JSON body of the same size (the
// signature is a placeholder of the same length).
func serveBare() {
	body := []byte(`{"files":[{"name":"43e4feaab48f11e89039fa163ebaa7e4br01.qp","size":2803,"download_link":"http://127.0.0.1:1/obs/rdsbucket-demo-1/c0c9f155c7b7423a9d30f0175998b63bbr01/43e4feaab48f11e89039fa163ebaa7e4br01.qp?AccessKeyId=FAKEOBSACCESSKEY&Expires=1795719823&Signature=` + strings.Repeat("s", 64) + `","link_expired_time":"2026-11-27T03:03:43+0800"}],"bucket":"rdsbucket-demo-1"}` + "\n")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
}

type server struct {
	name string
	url  string
	cmd  *exec.Cmd
}

// startProc starts a command that prints "listening on URL" on its first stdout line.
func startProc(name string, cmd *exec.Cmd) (*server, error) {
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		return nil, fmt.Errorf("%s: no ready line: %w", name, err)
	}
	u, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok {
		cmd.Process.Kill()
		return nil, fmt.Errorf("%s: unexpected first line %q", name, line)
	}
	go io.Copy(io.Discard, out)
	return &server{name: name, url: u, cmd: cmd}, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func startPrism(path string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, "mock", "-h", "127.0.0.1", "-p", fmt.Sprint(port), "openapi/rds-backup-files.yaml", "-v", "error")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	u := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond); err == nil {
			c.Close()
			return &server{name: "prism", url: u, cmd: cmd}, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	cmd.Process.Kill()
	return nil, fmt.Errorf("prism did not start within 30 s")
}

func run(duration time.Duration, conns, rounds int, prismPath string) error {
	tmp, err := os.MkdirTemp("", "benchfake")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	fakeBin := filepath.Join(tmp, "rdsfake")
	if out, err := exec.Command("go", "build", "-o", fakeBin, "./cmd/rdsfake").CombinedOutput(); err != nil {
		return fmt.Errorf("building rdsfake: %v\n%s", err, out)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var servers []*server
	defer func() {
		for _, s := range servers {
			s.cmd.Process.Kill()
			s.cmd.Wait()
		}
	}()
	bare, err := startProc("bare net/http", exec.Command(self, "serve-bare"))
	if err != nil {
		return err
	}
	servers = append(servers, bare)
	// Prism runs with log level error (no per-request lines); rdsfake likewise.
	fk, err := startProc("rdsfake", exec.Command(fakeBin, "--listen", "127.0.0.1:0", "--project-id", projectID, "--token", "bench-token", "--log-level", "error"))
	if err != nil {
		return err
	}
	servers = append(servers, fk)
	if prismPath != "" {
		if _, err := os.Stat(prismPath); err != nil {
			fmt.Printf("prism not found at %s: skipped (make bench-fake installs it)\n", prismPath)
		} else if p, err := startPrism(prismPath); err != nil {
			fmt.Println("prism:", err)
		} else {
			servers = append(servers, p)
		}
	}
	path := "/v3/" + projectID + "/backup-files?backup_id=" + fake.DemoMySQLFull
	hdr := http.Header{"X-Auth-Token": {"bench-token"}}
	rps := map[string][]float64{}
	fmt.Printf("loopback, %d connections, %v per server per round, %d rounds, GOMAXPROCS=%d\n", conns, duration, rounds, 2)
	for r := 0; r < rounds; r++ {
		for _, s := range servers {
			res, err := loadgen.Run(context.Background(), loadgen.Config{
				Requests: []loadgen.Request{{Name: s.name, URL: s.url + path, Header: hdr, Want: []int{200}}},
				Conns:    conns, Duration: duration, Warmup: time.Second, Raw: true,
			})
			if err != nil {
				return err
			}
			if res.Unexpected > 0 || res.Errors > 0 {
				return fmt.Errorf("%s answered wrongly: %v %v", s.name, res, res.FirstErrors)
			}
			fmt.Printf("round %d  %-14s %s\n", r+1, s.name, res)
			rps[s.name] = append(rps[s.name], res.RPS)
		}
	}
	med := func(v []float64) float64 {
		sort.Float64s(v)
		return v[len(v)/2]
	}
	b, f := med(rps["bare net/http"]), med(rps["rdsfake"])
	fmt.Printf("\nmedian req/s: bare %.0f, rdsfake %.0f (%.2f× bare)", b, f, f/b)
	if p, ok := rps["prism"]; ok {
		pm := med(p)
		fmt.Printf(", prism %.0f (rdsfake = %.1f× prism)", pm, f/pm)
	}
	fmt.Println()
	return nil
}
