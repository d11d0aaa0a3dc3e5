// Command benchproxy measures rdsproxy, the validating reverse proxy, on loopback in one run,
// against rdsfake answered directly and against Prism 5's validating proxy (`prism proxy`) on
// the same spec and upstream:
//
//   - the rate of 200 answers of the demo set's 3-file backup with -conns connections (default
//     8), direct, through rdsproxy (which judges every exchange) and through Prism, each
//     figure the median of -rounds interleaved rounds (direct, rdsproxy, prism, direct, ...);
//   - the p50 latency added by rdsproxy at 1 connection (the target) and at -conns
//     connections (mostly queueing on a saturated machine);
//   - a 1 GiB object GET directly and through rdsproxy (rate ratio), and the peak resident
//     memory (VmHWM) of that rdsproxy process;
//   - how many exchanges rdsproxy judged (its standard-error lines) against the requests sent.
//
// A fourth column, "no judging", is internal/proxy forwarding alone (this program run as
// `benchproxy serve-forward URL`): what rdsproxy costs beyond it is the judging. Each column
// also gives the CPU time its answering process spent per answer.
//
// rdsfake and rdsproxy are built once into a temporary directory and run as separate
// processes (Prism and the forwarder too), killed on exit, on error and on SIGINT or SIGTERM.
// The run exits 1 when the figures are doubtful (an answer other than 200, an exchange not
// judged, rdsproxy failing), not when a target is missed.
//
//	go run ./internal/cmd/benchproxy [-duration 5s] [-conns 8] [-rounds 3] [-latency-duration 2s]
//	                                 [-large-rounds 3] [-prism PATH] [-reference=false]
//
// Prism is optional: make bench-proxy installs it into .bench/ as make bench-fake does.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/rdskit/rdsbackup/contract/fake"
	"github.com/rdskit/rdsbackup/internal/version"
)

const (
	projectID = "97b026aa9cc4417888c14c84a1ad9860"
	token     = "bench-token"
	spec      = "openapi/rds-backup-files.yaml"
)

// threeFilePath asks for the demo backup whose answer lists three files.
const threeFilePath = "/v3/" + projectID + "/backup-files?backup_id=" + fake.DemoPostgresDBLevel

// config is the command line.
type config struct {
	duration, warmup, latDuration time.Duration
	conns, rounds, largeRounds    int
	prism, cpuProfile             string
	reference                     bool
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "serve-forward" {
		serveForward(os.Args[2])
		return
	}
	var c config
	flag.DurationVar(&c.duration, "duration", 5*time.Second, "measurement per server and round at -conns connections (at most 60s)")
	flag.DurationVar(&c.warmup, "warmup", time.Second, "load sent before each measurement, not counted (at most 10s)")
	flag.DurationVar(&c.latDuration, "latency-duration", 2*time.Second, "measurement per server and round at 1 connection (at most 60s)")
	flag.IntVar(&c.conns, "conns", 8, "connections of the throughput rounds (1 to 64)")
	flag.IntVar(&c.rounds, "rounds", 3, "interleaved rounds, the median reported (1 to 9)")
	flag.IntVar(&c.largeRounds, "large-rounds", 3, "rounds of the 1 GiB download, direct then through rdsproxy (0: skip; at most 9)")
	flag.StringVar(&c.prism, "prism", ".bench/node_modules/.bin/prism", "path of the prism CLI; empty to skip")
	flag.BoolVar(&c.reference, "reference", true, "also measure internal/proxy forwarding without judging (what the judging costs)")
	flag.StringVar(&c.cpuProfile, "cpuprofile", "", "") // hidden: see profile.go
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.String("benchproxy"))
		return
	}
	if err := c.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "benchproxy:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, c)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchproxy:", err)
		os.Exit(1)
	}
}

// validate keeps the run bounded.
func (c config) validate() error {
	switch {
	case c.duration <= 0 || c.duration > time.Minute || c.latDuration <= 0 || c.latDuration > time.Minute:
		return errors.New("-duration and -latency-duration must be between 0 and 60s")
	case c.warmup < 0 || c.warmup > 10*time.Second:
		return errors.New("-warmup must be between 0 and 10s")
	case c.conns < 1 || c.conns > 64:
		return errors.New("-conns must be between 1 and 64")
	case c.rounds < 1 || c.rounds > 9 || c.largeRounds < 0 || c.largeRounds > 9:
		return errors.New("-rounds must be between 1 and 9, -large-rounds between 0 and 9")
	}
	return nil
}

// bench is what one run started and measured.
type bench struct {
	c                 config
	kids              children
	fakeBin, proxyBin string
	fk, px            *proc
	direct, proxy, pr *target // pr is nil without Prism
	fwd               *target // the forwarder without judging; nil without -reference
	proxyStartKB      int64   // rdsproxy's VmRSS when it was ready
	proxyHWMKB        int64   // rdsproxy's VmHWM after the throughput and latency rounds
	proxyExit         int
	large             *largeResult
	largeExit         int
	problems          []string // what makes the figures doubtful: printed loudly, exit 1
	profileNote       string
}

func run(ctx context.Context, c config) error {
	tmp, err := os.MkdirTemp("", "benchproxy")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	b := &bench{c: c}
	defer b.kids.killAll()
	if b.fakeBin, b.proxyBin, err = build(ctx, tmp); err != nil {
		return err
	}
	if err := b.start(ctx, tmp); err != nil {
		return err
	}
	if err := b.measureRequests(ctx); err != nil {
		return err
	}
	if c.largeRounds > 0 {
		if err := b.measureLarge(ctx); err != nil {
			return err
		}
	}
	b.report()
	if len(b.problems) > 0 {
		return fmt.Errorf("%d problems make these figures doubtful (see WARNING above)", len(b.problems))
	}
	return nil
}

// start runs rdsfake, rdsproxy in front of it and, when found, Prism's proxy.
func (b *bench) start(ctx context.Context, tmp string) error {
	var err error
	b.fk, err = b.kids.startServer(ctx, "rdsfake", exec.Command(b.fakeBin, "--listen", "127.0.0.1:0", "--project-id", projectID,
		"--token", token, "--link-ttl", "1h", "--log-format", "none"), nil)
	if err != nil {
		return err
	}
	if b.px, err = b.startProxy(ctx, tmp); err != nil {
		return err
	}
	b.proxyStartKB = b.px.memKB("VmRSS")
	b.direct = newTarget("direct", b.fk, b.fk)
	b.proxy = newTarget("rdsproxy", b.px, b.fk)
	if b.c.reference {
		if b.fwd, err = b.startForward(ctx); err != nil {
			return err
		}
	}
	if b.c.prism == "" {
		return nil
	}
	if _, err := os.Stat(b.c.prism); err != nil {
		fmt.Printf("prism not found at %s: skipped (make bench-proxy installs it)\n", b.c.prism)
		return nil
	}
	p, err := b.kids.startPrism(ctx, b.c.prism, spec, b.fk.url)
	if err != nil {
		return err
	}
	b.pr = newTarget("prism proxy", p, b.fk)
	return nil
}

// startProxy runs rdsproxy in reverse mode in front of rdsfake, judging every exchange.
func (b *bench) startProxy(ctx context.Context, tmp string) (*proc, error) {
	cmd := exec.Command(b.proxyBin, "--upstream", b.fk.url, "--listen", "127.0.0.1:0")
	if b.c.cpuProfile != "" {
		var err error
		if cmd.Path, err = buildProfiled(ctx, tmp); err != nil {
			return nil, err
		}
		if cmd.Env, err = profileEnv(b.c.cpuProfile); err != nil {
			return nil, err
		}
	}
	return b.kids.startServer(ctx, "rdsproxy", cmd, newJudgeLog())
}

// targets are the ways to the answer, in the order of each round.
func (b *bench) targets() []*target {
	t := []*target{b.direct, b.proxy}
	if b.pr != nil {
		t = append(t, b.pr)
	}
	if b.fwd != nil {
		t = append(t, b.fwd)
	}
	return t
}

// measureRequests runs the throughput rounds, then the 1-connection rounds, then stops
// rdsproxy and checks that it judged every answered request.
func (b *bench) measureRequests(ctx context.Context) error {
	for _, t := range b.targets() {
		if err := precheck(ctx, t); err != nil {
			return err
		}
	}
	fmt.Printf("loopback, %d cores, the 3-file answer (backup_id %s), token auth; %d interleaved rounds\n",
		runtime.NumCPU(), fake.DemoPostgresDBLevel, b.c.rounds)
	fmt.Printf("throughput: %d connections, %v per server and round after %v of warm-up\n", b.c.conns, b.c.duration, b.c.warmup)
	stopProfile := b.profile()
	err := rounds(ctx, b.targets(), b.c.rounds, b.c.conns, b.c.warmup, b.c.duration, func(t *target) *[]sample { return &t.sat })
	stopProfile()
	if err != nil {
		return err
	}
	fmt.Printf("latency: 1 connection, %v per server and round\n", b.c.latDuration)
	warm := min(b.c.warmup, 300*time.Millisecond)
	if err := rounds(ctx, b.targets(), b.c.rounds, 1, warm, b.c.latDuration, func(t *target) *[]sample { return &t.one }); err != nil {
		return err
	}
	b.proxyHWMKB = b.px.memKB("VmHWM")
	b.proxyExit = b.px.stop(2 * time.Minute)
	return nil
}

// measureLarge runs a fresh rdsproxy (so that its peak memory is the download's) and GETs
// the 1 GiB object directly and through it.
func (b *bench) measureLarge(ctx context.Context) error {
	fmt.Printf("1 GiB object (%s): %d rounds, direct then through a fresh rdsproxy, plain Go client discarding the body\n",
		fake.DemoSQLServerLarge, b.c.largeRounds)
	// it judges nothing (objects only): --fail-on never, or an empty run would exit 1
	px, err := b.kids.startServer(ctx, "rdsproxy (1 GiB)", exec.Command(b.proxyBin, "--upstream", b.fk.url, "--listen", "127.0.0.1:0", "--fail-on", "never"), newJudgeLog())
	if err != nil {
		return err
	}
	b.large, err = large(ctx, b.fk, px, b.c.largeRounds)
	if err != nil {
		return err
	}
	b.largeExit = px.stop(time.Minute)
	return nil
}
