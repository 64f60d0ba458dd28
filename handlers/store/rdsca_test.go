package store

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestRDSRootCAs checks the embedded bundle: every block parses, is a CA, is still valid
// on the day the bundle was cut, and the regions this project prices are covered.
func TestRDSRootCAs(t *testing.T) {
	rest := rdsCABundle
	cut := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	regions := map[string]bool{}
	n := 0
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			t.Fatalf("block %d: %v", n, err)
		}
		n++
		if !c.IsCA || c.NotAfter.Before(cut) {
			t.Errorf("%s: IsCA %v, NotAfter %s", c.Subject.CommonName, c.IsCA, c.NotAfter)
		}
		if f := strings.Fields(c.Subject.CommonName); len(f) > 2 {
			regions[f[2]] = true // "Amazon RDS <region> Root CA ..."
		}
	}
	if n == 0 {
		t.Fatal("embedded bundle holds no certificate")
	}
	for _, r := range []string{"us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1", "ap-southeast-1"} {
		if !regions[r] {
			t.Errorf("no RDS root CA for %s in the embedded bundle", r)
		}
	}
	if _, err := RDSRootCAs(); err != nil {
		t.Fatal(err)
	}
}

// TestDefaultTLSUsesRDSBundle: the PG* form verifies the server against the embedded RDS
// bundle, so a server whose certificate another CA signed is refused during the handshake.
func TestDefaultTLSUsesRDSBundle(t *testing.T) {
	c, err := ConfigFromEnv(envOf(map[string]string{"PGHOST": "127.0.0.1", "PGUSER": "w", "PGPASSWORD": "p"}))
	if err != nil {
		t.Fatal(err)
	}
	pc, err := c.poolConfig()
	if err != nil {
		t.Fatal(err)
	}
	tc := pc.ConnConfig.TLSConfig
	roots, _ := RDSRootCAs()
	if tc == nil || tc.InsecureSkipVerify || !tc.RootCAs.Equal(roots) || tc.ServerName != "127.0.0.1" {
		t.Fatalf("TLS config does not verify against the RDS bundle: %+v", tc)
	}
	srv := httptest.NewTLSServer(nil) // its certificate is signed by httptest's own CA
	defer srv.Close()
	conn, err := tls.Dial("tcp", srv.Listener.Addr().String(), tc.Clone())
	if err == nil {
		conn.Close()
		t.Fatal("handshake with a non-RDS certificate succeeded; want a verification error")
	}
	var uerr x509.UnknownAuthorityError
	if !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("handshake error %v (want %T)", err, uerr)
	}
}
