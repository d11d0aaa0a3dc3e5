package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a child process: a server on loopback.
type proc struct {
	name string
	url  string // http://127.0.0.1:PORT
	cmd  *exec.Cmd
	log  *judgeLog // rdsproxy's standard error, parsed; nil for the others
	done chan struct{}
	err  error // of Wait, once done is closed
}

// children are the processes started, all killed by killAll (on exit and on error).
type children struct {
	mu   sync.Mutex
	list []*proc
}

// spawn starts cmd in a process group of its own that dies with this process (Pdeathsig),
// its standard error going to stderr (nil: discarded).
func (c *children) spawn(name string, cmd *exec.Cmd, stderr io.Writer) (*proc, io.Reader, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Stderr = stderr
	if stderr == nil {
		cmd.Stderr = io.Discard
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	c.mu.Lock()
	c.list = append(c.list, p)
	c.mu.Unlock()
	return p, out, nil
}

// wait reaps the process once its standard output is drained.
func (p *proc) wait(out io.Reader) {
	go func() {
		_, _ = io.Copy(io.Discard, out)
		p.err = p.cmd.Wait()
		close(p.done)
	}()
}

// startServer starts a command that prints "listening on URL" as its first line on standard
// output, and waits (at most 30 s) for that line.
func (c *children) startServer(ctx context.Context, name string, cmd *exec.Cmd, log *judgeLog) (*proc, error) {
	var stderr io.Writer
	if log != nil {
		stderr = log
	}
	p, out, err := c.spawn(name, cmd, stderr)
	if err != nil {
		return nil, err
	}
	p.log = log
	ready := make(chan string, 1)
	go func() { // the first line, then the rest drained and the process reaped
		br := bufio.NewReader(out)
		line, _ := br.ReadString('\n')
		ready <- line
		_, _ = io.Copy(io.Discard, br)
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	var line string
	select {
	case line = <-ready:
	case <-time.After(30 * time.Second):
		return nil, fmt.Errorf("%s printed no ready line within 30 s", name)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	u, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok {
		return nil, fmt.Errorf("%s: unexpected first line %q", name, line)
	}
	if err := loopbackURL(u); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p.url = u
	return p, nil
}

// loopbackURL refuses any URL whose host is not a loopback IP address.
func loopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s is not a loopback address", raw)
	}
	return nil
}

// startPrism starts `prism proxy` on a free loopback port in front of upstream, with log
// level error (no line per request), and waits (at most 60 s) until it answers HTTP.
func (c *children) startPrism(ctx context.Context, path, spec, upstream string) (*proc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, "proxy", spec, upstream, "-h", "127.0.0.1", "-p", strconv.Itoa(port), "-v", "error")
	p, out, err := c.spawn("prism proxy", cmd, nil)
	if err != nil {
		return nil, err
	}
	p.wait(out)
	p.url = fmt.Sprintf("http://127.0.0.1:%d", port)
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		select {
		case <-p.done:
			return nil, fmt.Errorf("prism proxy exited at start: %v", p.err)
		default:
		}
		if rsp, err := client.Get(p.url + "/"); err == nil {
			rsp.Body.Close()
			client.CloseIdleConnections()
			return p, nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, errors.New("prism proxy did not answer within 60 s")
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// stop asks p to stop (SIGTERM), waits for it at most grace, kills its group after that, and
// returns its exit status (-1 when it had to be killed).
func (p *proc) stop(grace time.Duration) int {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		p.kill()
		return -1
	}
	return p.cmd.ProcessState.ExitCode()
}

// kill kills p's whole process group and reaps it.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	_ = p.cmd.Process.Kill()
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
	}
}

// killAll kills every child still running.
func (c *children) killAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.list {
		p.kill()
	}
}

// memKB reads a field (VmHWM, VmRSS) of /proc/PID/status in KiB; -1 when unreadable.
func (p *proc) memKB(field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}

// cpuSeconds is the user and system CPU time p has used so far (-1 when unreadable), from
// /proc/PID/stat in clock ticks of 1/100 s (USER_HZ on Linux).
func (p *proc) cpuSeconds() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:])) // state is f[0]: utime and stime are fields 14 and 15
	if i < 0 || len(f) < 13 {
		return -1
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return float64(u+s) / 100
}

// build compiles rdsfake and rdsproxy once into dir and returns their paths.
func build(ctx context.Context, dir string) (fakeBin, proxyBin string, err error) {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+"/", "./cmd/rdsfake", "./cmd/rdsproxy")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("building rdsfake and rdsproxy: %v\n%s", err, out)
	}
	return filepath.Join(dir, "rdsfake"), filepath.Join(dir, "rdsproxy"), nil
}
