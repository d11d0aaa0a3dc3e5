package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"

	"github.com/rdskit/rdsbackup/internal/profiling"
	"github.com/rdskit/rdsbackup/internal/proxy"
)

// serveForward is the reference of the throughput rounds, run as `benchproxy serve-forward
// URL` in a process of its own: internal/proxy in reverse mode in front of URL with the
// defaults rdsproxy uses, but watching nothing, so that it forwards without copying or
// judging. What rdsproxy costs beyond it is the judging.
func serveForward(upstream string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "benchproxy serve-forward:", err)
		os.Exit(1)
	}
	profiling.OnSignal(os.Getenv(profiling.EnvFile))
	u, err := url.Parse(upstream)
	if err != nil {
		fail(err)
	}
	p, err := proxy.New(proxy.Config{Upstream: u})
	if err != nil {
		fail(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	if err := p.Serve(ln); err != nil {
		fail(err)
	}
}

// startForward starts the reference forwarder (this program, serve-forward) in front of
// rdsfake.
func (b *bench) startForward(ctx context.Context) (*target, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "serve-forward", b.fk.url)
	if b.c.cpuProfile != "" {
		if cmd.Env, err = profileEnv(b.c.cpuProfile + ".forward"); err != nil {
			return nil, err
		}
	}
	p, err := b.kids.startServer(ctx, "forwarder", cmd, nil)
	if err != nil {
		return nil, err
	}
	return newTarget("no judging", p, b.fk), nil
}
