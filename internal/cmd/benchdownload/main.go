// Command benchdownload compares `rdsbackup download` with curl on the same links served by
// rdsfake on loopback, both writing to disk, measured in one run with the rounds interleaved
// (ours, curl, ours, curl, ...) and the median of the per-round ratios reported:
//
//   - one large file (default 1 GiB) against `curl -o`, with rdsbackup's MD5 verification on;
//
//   - many small files (default 1000 × 1 KB) with `--parallel 16` against
//     `curl -Z --parallel-max 16` over the same links.
//
//     go run ./internal/cmd/benchdownload [-rounds 5] [-size-mb 1024] [-files 1000] [-parallel 16]
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
	"sort"
	"strings"
	"time"

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
)

const projectID = "97b026aa9cc4417888c14c84a1ad9860"

func main() {
	rounds := flag.Int("rounds", 5, "interleaved rounds (median of the per-round ratios reported)")
	sizeMB := flag.Int64("size-mb", 1024, "size of the large file in MiB (0: skip)")
	files := flag.Int("files", 1000, "number of 1 KB files of the small-file backup (0: skip)")
	parallel := flag.Int("parallel", 16, "parallel transfers for the small files, both tools")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.String("benchdownload"))
		return
	}
	if err := run(*rounds, *sizeMB, *files, *parallel); err != nil {
		fmt.Fprintln(os.Stderr, "benchdownload:", err)
		os.Exit(1)
	}
}

type bench struct {
	tmp, base string
	api       *rdsbackup.API
}

func run(rounds int, sizeMB int64, files, parallel int) error {
	if _, err := exec.LookPath("curl"); err != nil {
		return fmt.Errorf("curl is not installed (apt-get install curl)")
	}
	tmp, err := os.MkdirTemp("", "benchdownload")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for _, c := range []string{"rdsfake", "rdsbackup"} {
		if out, err := exec.Command("go", "build", "-o", filepath.Join(tmp, c), "./cmd/"+c).CombinedOutput(); err != nil {
			return fmt.Errorf("building %s: %v\n%s", c, err, out)
		}
	}
	var small []string
	for i := 0; i < files; i++ {
		small = append(small, fmt.Sprintf(`{"name":"small-%04d.bin","size":1}`, i))
	}
	backups := filepath.Join(tmp, "backups.json")
	os.WriteFile(backups, []byte(fmt.Sprintf(`{"big":{"bucket":"bench","files":[{"name":"big.bak","size":%d}]},"small":{"bucket":"bench","files":[%s]}}`,
		max(sizeMB, 1)*1024, strings.Join(small, ","))), 0o600)
	fk := exec.Command(filepath.Join(tmp, "rdsfake"), "--listen", "127.0.0.1:0", "--project-id", projectID, "--token", "bench", "--backups", backups, "--link-ttl", "1h", "--log-format", "none")
	out, _ := fk.StdoutPipe()
	if err := fk.Start(); err != nil {
		return err
	}
	defer func() { fk.Process.Kill(); fk.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return err
	}
	b := &bench{tmp: tmp, base: strings.TrimPrefix(strings.TrimSpace(line), "listening on ")}
	go io.Copy(io.Discard, out)
	if b.api, err = rdsbackup.New(rdsbackup.WithEndpoint(b.base), rdsbackup.WithProjectID(projectID), rdsbackup.WithToken("bench")); err != nil {
		return err
	}
	if sizeMB > 0 {
		if err := b.large(rounds, sizeMB); err != nil {
			return err
		}
	}
	if files > 0 {
		return b.small(rounds, files, parallel)
	}
	return nil
}

// ours runs rdsbackup download of a backup into dir and returns the seconds it took.
func (b *bench) ours(backup, dir string, args ...string) (float64, error) {
	cmd := exec.Command(filepath.Join(b.tmp, "rdsbackup"), append([]string{"download", "--backup-id", backup, "--dir", dir, "--progress", "none"}, args...)...)
	cmd.Env = append(os.Environ(), "RDS_ENDPOINT="+b.base, "HUAWEICLOUD_SDK_PROJECT_ID="+projectID, "RDS_AUTH_TOKEN=bench")
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("rdsbackup: %v %s", err, out)
	}
	if !strings.Contains(string(out), "MD5 verified") {
		return 0, fmt.Errorf("rdsbackup did not verify the MD5: %s", out)
	}
	return time.Since(t0).Seconds(), nil
}

func curl(args ...string) (float64, error) {
	t0 := time.Now()
	if out, err := exec.Command("curl", append([]string{"-sS", "--fail"}, args...)...).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("curl: %v %s", err, out)
	}
	return time.Since(t0).Seconds(), nil
}

func (b *bench) large(rounds int, sizeMB int64) error {
	res, err := b.api.ShowBackupDownloadLink(context.Background(), "big")
	if err != nil {
		return err
	}
	link := res.Files[0].DownloadLink
	// rdsfake computes an object's MD5 on its first request: do that before measuring
	if rsp, err := http.Head(link); err == nil {
		rsp.Body.Close()
	}
	size := float64(sizeMB << 20)
	var ratios []float64
	for r := 0; r < rounds; r++ {
		dir := filepath.Join(b.tmp, fmt.Sprint("r", r))
		os.MkdirAll(dir, 0o755)
		o, err := b.ours("big", dir)
		if err != nil {
			return err
		}
		if st, err := os.Stat(filepath.Join(dir, "big.bak")); err != nil || st.Size() != sizeMB<<20 {
			return fmt.Errorf("rdsbackup wrote %v (%v)", st, err)
		}
		os.RemoveAll(dir)
		os.MkdirAll(dir, 0o755)
		c, err := curl("-o", filepath.Join(dir, "curl.bak"), link)
		if err != nil {
			return err
		}
		os.RemoveAll(dir)
		ratios = append(ratios, c/o)
		fmt.Printf("large round %d: rdsbackup download %.0f MiB/s (MD5 verified), curl -o %.0f MiB/s: %.2f× curl\n", r+1, size/o/(1<<20), size/c/(1<<20), c/o)
	}
	fmt.Printf("large file, %d MiB, median of %d per-round ratios: rdsbackup download = %.2f× curl -o (target ≥ 0.75×)\n", sizeMB, rounds, median(ratios))
	return nil
}

func (b *bench) small(rounds, files, parallel int) error {
	res, err := b.api.ShowBackupDownloadLink(context.Background(), "small")
	if err != nil {
		return err
	}
	var cfg strings.Builder
	for _, f := range res.Files {
		fmt.Fprintf(&cfg, "url = %q\noutput = %q\n", f.DownloadLink, f.Name)
	}
	cfgFile := filepath.Join(b.tmp, "curl-small.cfg")
	if err := os.WriteFile(cfgFile, []byte(cfg.String()), 0o600); err != nil {
		return err
	}
	var ratios []float64
	for r := 0; r < rounds; r++ {
		dir := filepath.Join(b.tmp, fmt.Sprint("s", r))
		os.MkdirAll(dir, 0o755)
		o, err := b.ours("small", dir, "--parallel", fmt.Sprint(parallel))
		if err != nil {
			return err
		}
		os.RemoveAll(dir)
		os.MkdirAll(dir, 0o755)
		c, err := curl("-Z", "--parallel-max", fmt.Sprint(parallel), "--output-dir", dir, "-K", cfgFile)
		if err != nil {
			return err
		}
		if n, _ := os.ReadDir(dir); len(n) != files {
			return fmt.Errorf("curl wrote %d files, want %d", len(n), files)
		}
		os.RemoveAll(dir)
		ratios = append(ratios, o/c)
		fmt.Printf("small round %d: rdsbackup download %.2f s, curl -Z %.2f s: %.2f× curl's time\n", r+1, o, c, o/c)
	}
	fmt.Printf("%d files of 1 KB, --parallel %d, median of %d per-round ratios: rdsbackup download takes %.2f× the time of curl -Z --parallel-max %d (target ≤ 1.5×)\n", files, parallel, rounds, median(ratios), parallel)
	return nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
