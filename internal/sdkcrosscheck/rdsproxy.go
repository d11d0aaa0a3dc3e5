package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// mainModule is the import path of the module this one replaces with ../.. (go.mod).
const mainModule = "github.com/rdskit/rdsbackup"

// buildProxy builds cmd/rdsproxy from the main module (../.., where `make sdk-crosscheck`
// runs this program from) into dir, with the go command of $GO or else the one on PATH.
func buildProxy(ctx context.Context, dir string) (string, error) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return "", err
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || !bytes.HasPrefix(mod, []byte("module "+mainModule+"\n")) {
		return "", fmt.Errorf("%s is not the main module %s (run from internal/sdkcrosscheck: make sdk-crosscheck)", root, mainModule)
	}
	goCmd := os.Getenv("GO")
	if goCmd == "" {
		goCmd = "go"
	}
	bin := filepath.Join(dir, "rdsproxy")
	cmd := exec.CommandContext(ctx, goCmd, "build", "-o", bin, mainModule+"/cmd/rdsproxy")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s/cmd/rdsproxy: %v\n%s", mainModule, err, out)
	}
	return bin, nil
}

// output collects what a child process writes; it may be read while being written.
type output struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// proxyProcess is rdsproxy --mitm running as a child process.
type proxyProcess struct {
	cmd       *exec.Cmd
	stdout    output
	stderr    output
	exited    chan struct{} // closed once the process has exited and its output was read
	waitErr   error         // cmd.Wait's result, once exited is closed
	addr      string        // host:port it listens on
	caFile    string        // its --ca-out
	reportDir string        // its --report
}

// startProxy starts rdsproxy --mitm on a free loopback port, trusting upstreamCA for the
// upstream, stopping after maxExchanges, with its CA and reports in dir, and waits until it
// announces its address. The process is killed when ctx ends; on an error it is already
// killed, otherwise the caller must call stop.
func startProxy(ctx context.Context, bin, dir, upstreamCA string, maxExchanges int) (*proxyProcess, error) {
	px := &proxyProcess{exited: make(chan struct{}), caFile: filepath.Join(dir, "proxy-ca.pem"), reportDir: filepath.Join(dir, "report")}
	px.cmd = exec.CommandContext(ctx, bin, "--mitm", "--ca-out", px.caFile, "--upstream-ca", upstreamCA,
		"--listen", "127.0.0.1:0", "--max-exchanges", strconv.Itoa(maxExchanges), "--report", px.reportDir)
	px.cmd.Stdout, px.cmd.Stderr = &px.stdout, &px.stderr
	px.cmd.WaitDelay = 5 * time.Second
	dieWithParent(px.cmd)
	if err := px.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting rdsproxy: %w", err)
	}
	go func() {
		px.waitErr = px.cmd.Wait()
		close(px.exited)
	}()
	const prefix = "listening on http://"
	deadline := time.Now().Add(60 * time.Second)
	for {
		if line, _, _ := strings.Cut(px.stdout.String(), "\n"); strings.HasPrefix(line, prefix) {
			px.addr = strings.TrimPrefix(line, prefix)
			return px, nil
		}
		select {
		case <-px.exited:
			return nil, px.withLog(fmt.Errorf("rdsproxy exited before it was ready: %v", px.waitErr))
		case <-ctx.Done():
			px.stop()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			px.stop()
			return nil, px.withLog(errors.New("rdsproxy did not announce its address within 60s"))
		}
	}
}

// stop kills the process unless it has exited, and waits for it.
func (px *proxyProcess) stop() {
	select {
	case <-px.exited:
		return
	default:
	}
	_ = px.cmd.Process.Kill()
	<-px.exited
}

// waitExit waits until the process exits by itself (after --max-exchanges) and checks that
// its status is 0; after timeout, or when ctx ends, it kills it.
func (px *proxyProcess) waitExit(ctx context.Context, timeout time.Duration) error {
	select {
	case <-px.exited:
	case <-ctx.Done():
		px.stop()
		return ctx.Err()
	case <-time.After(timeout):
		px.stop()
		return fmt.Errorf("rdsproxy did not stop by itself within %s after its last exchange (killed)", timeout)
	}
	if px.waitErr != nil {
		return fmt.Errorf("rdsproxy: %w (want exit status 0)", px.waitErr)
	}
	return nil
}

// withLog adds rdsproxy's standard error, so far, to err.
func (px *proxyProcess) withLog(err error) error {
	log := strings.TrimSpace(px.stderr.String())
	if log == "" {
		return err
	}
	return fmt.Errorf("%w\n  rdsproxy's standard error:\n    %s", err, strings.ReplaceAll(log, "\n", "\n    "))
}

// junitReport is what the check reads of rdsproxy.junit.xml (Ginkgo's JUnit format).
type junitReport struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Disabled int `xml:"disabled,attr"`
	Cases    []struct {
		Name   string `xml:"name,attr"`
		Status string `xml:"status,attr"`
	} `xml:"testsuite>testcase"`
}

// junitSummary reads the JUnit report rdsproxy wrote with --report and checks that it holds
// specs for exchanges exchanges and that every one of them passed.
func (px *proxyProcess) junitSummary(exchanges int) (string, error) {
	file := filepath.Join(px.reportDir, "rdsproxy.junit.xml")
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("rdsproxy's JUnit report: %w", err)
	}
	var r junitReport
	if err := xml.Unmarshal(b, &r); err != nil {
		return "", fmt.Errorf("rdsproxy's JUnit report: %w", err)
	}
	if r.Tests == 0 || r.Tests != len(r.Cases) || r.Tests%exchanges != 0 || r.Failures+r.Errors+r.Disabled != 0 {
		return "", fmt.Errorf("rdsproxy.junit.xml: %d specs (%d cases), %d failures, %d errors, %d disabled; want %d exchanges' specs, all passed",
			r.Tests, len(r.Cases), r.Failures, r.Errors, r.Disabled, exchanges)
	}
	for _, c := range r.Cases {
		if c.Status != "passed" {
			return "", fmt.Errorf("rdsproxy.junit.xml: %q is %s", c.Name, c.Status)
		}
	}
	return fmt.Sprintf("rdsproxy.junit.xml: %d specs (%d exchanges × %d checks), all passed", r.Tests, exchanges, r.Tests/exchanges), nil
}
