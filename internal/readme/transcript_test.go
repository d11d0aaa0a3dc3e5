package readme

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A README transcript is a fenced block right after a line "<!-- transcript -->": lines that
// start with "$ " are commands, the lines after each are what it prints on stdout (and on
// stderr too when the command ends with 2>&1). TestREADMETranscripts runs every command with
// the repository's own rdsbackup, rdsfake and rds-conformance on PATH, against a fresh
// rdsfake (project 97b026aa9cc4417888c14c84a1ad9860, token "demo", demo backups; the README's
// 127.0.0.1:8080 is replaced by its address) in a new directory per block, with the "export"
// lines of the block before each command, and compares what it prints with the README,
// times, ports, seeds and durations aside. So every
// sample output in the README is what the commands print today.

// A marker may name files to copy into the block's directory before it runs, from the
// repository: <!-- transcript: kb/provider-example.yaml=contract/testdata/...yaml -->.
const marker = "<!-- transcript"

type transcript struct {
	line  int               // in README.md
	files map[string]string // name in the block's directory → path in the repository
	steps []step
}

type step struct {
	cmd  string
	want []string
}

func parseTranscripts(readme string) ([]transcript, error) {
	var out []transcript
	lines := strings.Split(readme, "\n")
	for i := 0; i < len(lines); i++ {
		trimmed := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(trimmed, marker) || !strings.HasSuffix(trimmed, "-->") {
			continue
		}
		indent := lines[i][:len(lines[i])-len(strings.TrimLeft(lines[i], " "))]
		if i+1 >= len(lines) || !strings.HasPrefix(strings.TrimPrefix(lines[i+1], indent), "```") {
			return nil, fmt.Errorf("README.md:%d: %s is not followed by a fenced block", i+1, marker)
		}
		tr := transcript{line: i + 2, files: map[string]string{}}
		spec := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(trimmed, marker), "-->"))
		for _, f := range strings.Fields(strings.TrimPrefix(spec, ":")) {
			name, from, ok := strings.Cut(f, "=")
			if !ok {
				return nil, fmt.Errorf("README.md:%d: %q is not NAME=PATH", i+1, f)
			}
			tr.files[name] = from
		}
		j := i + 2
		for ; j < len(lines) && !strings.HasPrefix(strings.TrimPrefix(lines[j], indent), "```"); j++ {
			line := strings.TrimPrefix(lines[j], indent)
			if cmd, ok := strings.CutPrefix(line, "$ "); ok {
				tr.steps = append(tr.steps, step{cmd: cmd})
				continue
			}
			if len(tr.steps) == 0 {
				return nil, fmt.Errorf("README.md:%d: output before the first $ command", j+1)
			}
			last := &tr.steps[len(tr.steps)-1]
			last.want = append(last.want, line)
		}
		out = append(out, tr)
		i = j
	}
	return out, nil
}

var volatile = []struct {
	re  *regexp.Regexp
	sub string
}{
	{regexp.MustCompile(`\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(Z| ?[+-]\d\d:?\d\d)?`), "<TIME>"},
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:<PORT>"},
	{regexp.MustCompile(`\b(\d+h)?(\d+m)?\d+(\.\d+)?(s|ms|µs)\b`), "<DUR>"},
	{regexp.MustCompile(`pid \d+`), "pid <N>"},
	{regexp.MustCompile(`Random Seed: \d+`), "Random Seed: <N>"},
	{regexp.MustCompile(`\d+\.\d+ seconds`), "<DUR>"},
	{regexp.MustCompile(`@ \d\d/\d\d/\d\d \d\d:\d\d:\d\d\.\d+`), "@ <TIME>"},
	{regexp.MustCompile(`/\S*/contract/`), ".../contract/"},
	{regexp.MustCompile(`\.go:\d+`), ".go:<LINE>"},
	{regexp.MustCompile(`/[^\s']*/(kb|backups)\b`), "<DIR>/$1"},
	{regexp.MustCompile(`suite - /\S+`), "suite - <DIR>"},
	{regexp.MustCompile(`^=+$`), "==="},
	{regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{3} `), "<TIME> "},           // rdsproxy's log lines
	{regexp.MustCompile(`request_id=[0-9a-f]{32}\b`), "request_id=<ID>"}, // rdsfake's are random per run
	{regexp.MustCompile(`rdsproxy-\d{8}-\d{6}\.yaml`), "rdsproxy-<STAMP>.yaml"},
	{regexp.MustCompile(` {2,}`), "  "},
}

// progressMarks is a line of Ginkgo's progress marks (passed •, skipped S): where it falls
// follows the random seed, so it is left out of the comparison (and of the README).
var progressMarks = regexp.MustCompile(`^[•S]+$`)

func normalize(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		if progressMarks.MatchString(strings.TrimSpace(l)) {
			continue
		}
		l = strings.TrimRight(l, " \t")
		for _, v := range volatile {
			l = v.re.ReplaceAllString(l, v.sub)
		}
		b.WriteString(strings.TrimRight(l, " ") + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func TestREADMETranscripts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the commands")
	}
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	trs, err := parseTranscripts(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(trs) == 0 {
		t.Fatal("README.md has no transcript")
	}
	bin := t.TempDir()
	for _, args := range [][]string{{"build", "-o", bin + "/", "./cmd/rdsbackup", "./cmd/rdsfake", "./cmd/rdsproxy"}, {"test", "-c", "-o", bin + "/rds-conformance", "./contract"}} {
		build := exec.Command("go", args...)
		build.Dir = "../.."
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	for _, tr := range trs {
		t.Run(fmt.Sprintf("README.md:%d", tr.line), func(t *testing.T) {
			env, fakeAddr := startFake(t, bin)
			dir := t.TempDir()
			for name, from := range tr.files {
				b, err := os.ReadFile(filepath.Join("../..", from))
				if err == nil {
					err = os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
				}
				if err == nil {
					err = os.WriteFile(filepath.Join(dir, name), b, 0o644)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			prelude := ""
			ports := strings.NewReplacer("127.0.0.1:8080", fakeAddr, "127.0.0.1:9000", freeAddr(t), "127.0.0.1:8443", freeAddr(t))
			for _, s := range tr.steps {
				// the README's fake listens on 127.0.0.1:8080; this one wherever it could, and
				// so do the proxy (9000) and a second fake (8443) that a block starts itself
				cmd := ports.Replace(s.cmd)
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a command that waits for what never comes
				defer cancel()
				sh := exec.CommandContext(ctx, "bash", "-c", prelude+cmd)
				sh.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // what it leaves running is killed below
				// a process the command leaves running in the background must not hold the output
				// open: stderr is not read (a command that wants it says 2>&1), and the wait for
				// stdout to close ends shortly after the command itself does
				sh.Stderr, sh.WaitDelay = devNull(t), 5*time.Second
				if strings.HasPrefix(cmd, "export ") { // later commands of the block see it
					prelude += cmd + "\n"
				}
				sh.Dir, sh.Env = dir, env
				out, err := sh.Output()
				if sh.Process != nil {
					pgid := sh.Process.Pid
					t.Cleanup(func() { syscall.Kill(-pgid, syscall.SIGKILL) })
				}
				if _, ok := err.(*exec.ExitError); err != nil && !ok {
					t.Fatalf("$ %s: %v", s.cmd, err)
				}
				got := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
				if string(out) == "" {
					got = nil
				}
				if normalize(got) != normalize(s.want) {
					t.Errorf("README.md:%d: $ %s\nprints:\n%s\nthe README shows:\n%s", tr.line, s.cmd, strings.Join(got, "\n"), strings.Join(s.want, "\n"))
				}
			}
		})
	}
}

// startFake runs rdsfake from bin on a free port and returns the environment for the
// transcript's commands (none of the user's RDS_* or HUAWEICLOUD_* settings: a block sets
// what it needs with export) and the fake's host:port.
func startFake(t *testing.T, bin string) ([]string, string) {
	t.Helper()
	fk := exec.Command(filepath.Join(bin, "rdsfake"), "--listen", "127.0.0.1:0", "--project-id", "97b026aa9cc4417888c14c84a1ad9860", "--token", "demo", "--log-format", "none")
	stdout, err := fk.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := fk.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fk.Process.Kill(); fk.Wait() })
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- strings.TrimSpace(line)
	}()
	var url string
	select {
	case line := <-ready:
		url = strings.TrimPrefix(line, "listening on ")
	case <-time.After(30 * time.Second):
		t.Fatal("rdsfake did not say it was listening")
	}
	var env []string
	for _, kv := range os.Environ() { // the user's own settings must not leak into the samples
		if !strings.HasPrefix(kv, "RDS_") && !strings.HasPrefix(kv, "HUAWEICLOUD_") && !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	return append(env, "PATH="+bin+":"+os.Getenv("PATH")), strings.TrimPrefix(url, "http://")
}

// devNull is /dev/null opened for writing, closed when the test ends.
func devNull(t *testing.T) *os.File {
	t.Helper()
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// freeAddr returns a loopback address with a port free at the time of the call.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	a := normalize([]string{"x  2026-11-27 03:03:43 +0800  4m59s   ", "listening on http://127.0.0.1:8080"})
	b := normalize([]string{"x   2026-11-28 13:00:01 +0800  5m0s", "listening on http://127.0.0.1:39999"})
	if a != b {
		t.Fatalf("%q != %q", a, b)
	}
	if normalize([]string{"downloaded (4.0 MiB)"}) == normalize([]string{"downloaded (1.5 MiB)"}) {
		t.Fatal("sizes must not be normalized away")
	}
}
