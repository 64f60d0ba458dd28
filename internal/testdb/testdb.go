// Package testdb gives tests a fresh, empty PostgreSQL database of their own, and a TCP
// proxy in front of it that a test can cut to play "the database is down".
//
// The server comes from DATABASE_URL (the README's test command starts a throwaway
// cluster and exports it); inherited PG* variables are cleared first. Without DATABASE_URL the tests skip, unless
// LAMBDABRIDGE_REQUIRE_DB=1, which the test command sets so that CI fails instead.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lambdabridge/lambdabridge/handlers/envvar"
)

// New creates a database named lbtest_<random> on the server in DATABASE_URL, drops it
// when the test ends, and returns its connection URL. It first removes the libpq variables
// (PG*) the test process inherited from the shell: pgx would read them on top of the URLs
// (a PGOPTIONS search_path, a PGSERVICE), and the store refuses them (envvar.UnsetLibpq).
func New(tb testing.TB) string {
	tb.Helper()
	if _, err := envvar.UnsetLibpq(); err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	admin := os.Getenv("DATABASE_URL")
	if admin == "" {
		if os.Getenv("LAMBDABRIDGE_REQUIRE_DB") == "1" {
			tb.Fatal("testdb: DATABASE_URL is not set but LAMBDABRIDGE_REQUIRE_DB=1")
		}
		tb.Skip("testdb: DATABASE_URL not set (run the README's test command to start a throwaway PostgreSQL)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Fatalf("testdb: connect to DATABASE_URL: %v", err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatalf("testdb: random name: %v", err)
	}
	name := "lbtest_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("testdb: create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			tb.Logf("testdb: drop %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Logf("testdb: drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatalf("testdb: parse DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// Role returns the name of a login role of the test's own (prefix plus random hex; roles
// are shared by every database on the server) without creating it, and when the test ends
// drops it with whatever it owns or was granted in dbURL's database. Use it for roles that
// the code under test creates (e.g. the writer-role setup).
func Role(tb testing.TB, dbURL, prefix string) string {
	tb.Helper()
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatalf("testdb: random role name: %v", err)
	}
	name := prefix + hex.EncodeToString(b[:])
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			tb.Logf("testdb: drop role %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		var exists bool
		if err := c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, name).Scan(&exists); err != nil || !exists {
			return
		}
		for _, q := range []string{"DROP OWNED BY " + name, "DROP ROLE " + name} {
			if _, err := c.Exec(ctx, q); err != nil {
				tb.Logf("testdb: %s: %v", q, err)
			}
		}
	})
	return name
}

// AsUser returns dbURL logging in as user instead (the test server trusts local
// connections, so no password is needed).
func AsUser(tb testing.TB, dbURL, user string) string {
	tb.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		tb.Fatalf("testdb: parse %s: %v", "database URL", err)
	}
	u.User = url.User(user)
	return u.String()
}

// Proxy forwards TCP connections to a target address until it is cut. While down it
// refuses new connections and has closed every open one, as a database restart would.
type Proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]struct{}
}

// NewProxy listens on a free loopback port and forwards to target ("host:port").
// It stops when the test ends.
func NewProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("testdb: proxy listen: %v", err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	go p.serve()
	tb.Cleanup(func() { ln.Close(); p.SetDown(true) })
	return p
}

// Addr is the proxy's "host:port".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL rewrites a connection URL so it goes through the proxy.
func (p *Proxy) URL(tb testing.TB, dbURL string) string {
	tb.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		tb.Fatalf("testdb: parse %q: %v", dbURL, err)
	}
	u.Host = p.Addr()
	return u.String()
}

// SetDown cuts (true) or restores (false) the connection to the target.
func (p *Proxy) SetDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
		clear(p.conns)
	}
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		go p.handle(c)
	}
}

func (p *Proxy) handle(c net.Conn) {
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.mu.Unlock()
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) { io.Copy(dst, src); dst.Close(); done <- struct{}{} }
	go pipe(up, c)
	go pipe(c, up)
	<-done
	<-done
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}
