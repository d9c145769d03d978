// connload: the load generator of bench/proxy — many short TCP connections, each one
// connect + a 1-byte reply from the server + close with RST. In Go rather than Node because
// one Node process tops out below the kernel's forwarding rate here (bench/proxy/README.md):
// a generator slower than the dataplane would hide the NAT cost the ratio is meant to show.
// Standard library only; built by bench.ts with `go build` on first use.
//
//	connload serve  -listen 10.244.2.2:8080[,addr:port…]
//	connload client -target 10.96.0.10:80 -n 20000 -c 8 -warmup 500
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: connload serve|client [flags]")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "serve":
		serve(os.Args[2:])
	case "client":
		client(os.Args[2:])
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", os.Args[1])
		os.Exit(2)
	}
}

func serve(args []string) {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	listen := fs.String("listen", "", "comma-separated addr:port list")
	_ = fs.Parse(args)
	for _, a := range strings.Split(*listen, ",") {
		l, err := net.Listen("tcp4", a)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		go accept(l)
	}
	// The parent waits for this line before it sends any traffic.
	fmt.Println("ready")
	select {}
}

func accept(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			continue
		}
		go func(c net.Conn) {
			_, _ = c.Write([]byte{'x'})
			// Wait for the client's RST: the client closes first, so no TIME_WAIT is left on
			// this side either (TIME_WAIT on a reused 4-tuple is what causes SYN retries).
			buf := make([]byte, 1)
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, _ = c.Read(buf)
			_ = c.Close()
		}(c)
	}
}

type result struct {
	Conns     int     `json:"conns"`
	Errors    int64   `json:"errors"`
	ElapsedMs float64 `json:"elapsedMs"`
	Rate      float64 `json:"rate"`
	P50us     float64 `json:"p50us"`
	P90us     float64 `json:"p90us"`
	P99us     float64 `json:"p99us"`
	FirstErr  string  `json:"firstError,omitempty"`
}

// one connection: connect, read the server's byte, close with RST (SO_LINGER 0) so the
// client keeps no TIME_WAIT and its ephemeral ports stay available for thousands of runs.
func one(d *net.Dialer, target string) (time.Duration, error) {
	t0 := time.Now()
	c, err := d.Dial("tcp4", target)
	if err != nil {
		return 0, err
	}
	tc := c.(*net.TCPConn)
	defer func() { _ = tc.SetLinger(0); _ = tc.Close() }()
	_ = tc.SetReadDeadline(time.Now().Add(d.Timeout))
	buf := make([]byte, 1)
	if _, err := tc.Read(buf); err != nil {
		return 0, err
	}
	return time.Since(t0), nil
}

func client(args []string) {
	fs := flag.NewFlagSet("client", flag.ExitOnError)
	target := fs.String("target", "", "addr:port")
	n := fs.Int("n", 10000, "timed connections")
	conc := fs.Int("c", 8, "connections in flight")
	warmup := fs.Int("warmup", 500, "untimed connections first (caches, ARP, idle vCPUs)")
	timeout := fs.Duration("timeout", 2*time.Second, "per-connection timeout")
	_ = fs.Parse(args)
	d := &net.Dialer{Timeout: *timeout}

	run := func(total int, record bool) ([]time.Duration, int64, string, time.Duration) {
		lat := make([][]time.Duration, *conc)
		var next, errs int64
		var firstErr atomic.Value
		var wg sync.WaitGroup
		start := time.Now()
		for w := 0; w < *conc; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for atomic.AddInt64(&next, 1) <= int64(total) {
					dt, err := one(d, *target)
					if err != nil {
						atomic.AddInt64(&errs, 1)
						firstErr.CompareAndSwap(nil, err.Error())
						continue
					}
					if record {
						lat[w] = append(lat[w], dt)
					}
				}
			}(w)
		}
		wg.Wait()
		elapsed := time.Since(start)
		var all []time.Duration
		for _, l := range lat {
			all = append(all, l...)
		}
		fe, _ := firstErr.Load().(string)
		return all, errs, fe, elapsed
	}

	run(*warmup, false)
	all, errs, fe, elapsed := run(*n, true)
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return float64(all[int(p*float64(len(all)-1))].Nanoseconds()) / 1e3
	}
	r := result{
		Conns: len(all), Errors: errs, ElapsedMs: float64(elapsed.Nanoseconds()) / 1e6,
		Rate: float64(len(all)) / elapsed.Seconds(), P50us: pct(0.5), P90us: pct(0.9), P99us: pct(0.99), FirstErr: fe,
	}
	_ = json.NewEncoder(os.Stdout).Encode(r)
}
