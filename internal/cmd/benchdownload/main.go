// Command benchdownload compares `rdsbackup download` with `curl -o` on the same link: a
// 1 GiB file served by rdsfake on loopback, both written to disk, measured in one run.
//
//	go run ./internal/cmd/benchdownload [-rounds 3] [-size-mb 1024]
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
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
	rounds := flag.Int("rounds", 3, "rounds (median reported)")
	sizeMB := flag.Int64("size-mb", 1024, "file size in MiB")
	flag.Parse()
	if err := run(*rounds, *sizeMB); err != nil {
		fmt.Fprintln(os.Stderr, "benchdownload:", err)
		os.Exit(1)
	}
}

func run(rounds int, sizeMB int64) error {
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
	backups := filepath.Join(tmp, "backups.json")
	os.WriteFile(backups, []byte(fmt.Sprintf(`{"big":{"bucket":"bench","files":[{"name":"big.bak","size":%d}]}}`, sizeMB*1024)), 0o600)
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
	base := strings.TrimPrefix(strings.TrimSpace(line), "listening on ")
	go io.Copy(io.Discard, out)
	api, err := rdsbackup.New(rdsbackup.WithEndpoint(base), rdsbackup.WithProjectID(projectID), rdsbackup.WithToken("bench"))
	if err != nil {
		return err
	}
	res, err := api.ShowBackupDownloadLink(context.Background(), "big")
	if err != nil {
		return err
	}
	link := res.Files[0].DownloadLink
	size := float64(sizeMB << 20)
	var curlT, ourT []float64
	for r := 0; r < rounds; r++ {
		dir := filepath.Join(tmp, fmt.Sprint("r", r))
		os.MkdirAll(dir, 0o755)
		t0 := time.Now()
		if out, err := exec.Command("curl", "-sS", "-o", filepath.Join(dir, "curl.bak"), link).CombinedOutput(); err != nil {
			return fmt.Errorf("curl: %v %s", err, out)
		}
		c := time.Since(t0).Seconds()
		os.Remove(filepath.Join(dir, "curl.bak"))
		cmd := exec.Command(filepath.Join(tmp, "rdsbackup"), "download", "--backup-id", "big", "--dir", dir, "--progress", "none")
		cmd.Env = append(os.Environ(), "RDS_ENDPOINT="+base, "HUAWEICLOUD_SDK_PROJECT_ID="+projectID, "RDS_AUTH_TOKEN=bench")
		t0 = time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("rdsbackup: %v %s", err, out)
		}
		o := time.Since(t0).Seconds()
		st, err := os.Stat(filepath.Join(dir, "big.bak"))
		if err != nil || st.Size() != sizeMB<<20 {
			return fmt.Errorf("rdsbackup wrote %v (%v)", st, err)
		}
		os.RemoveAll(dir)
		fmt.Printf("round %d: curl -o %.0f MiB/s, rdsbackup download %.0f MiB/s (%.2f×)\n", r+1, size/c/(1<<20), size/o/(1<<20), c/o)
		curlT, ourT = append(curlT, c), append(ourT, o)
	}
	sort.Float64s(curlT)
	sort.Float64s(ourT)
	c, o := curlT[len(curlT)/2], ourT[len(ourT)/2]
	fmt.Printf("median of %d rounds, %d MiB file: curl -o %.0f MiB/s, rdsbackup download %.0f MiB/s: %.2f× curl\n", rounds, sizeMB, size/c/(1<<20), size/o/(1<<20), c/o)
	return nil
}
