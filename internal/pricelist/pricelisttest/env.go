package pricelisttest

import (
	"path/filepath"
	"testing"
)

// awsEnv are the variables through which the SDK could find credentials, a profile, an
// endpoint or a region outside the test.
var awsEnv = []string{
	"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_ENDPOINT_URL",
	"AWS_ENDPOINT_URL_PRICING", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_REGION", "AWS_DEFAULT_REGION",
}

// NoCredentials leaves the SDK no way to find credentials for the rest of the test: no
// credential variables, config and credentials files that do not exist, and the
// instance metadata service disabled (so nothing is sent to it).
func NoCredentials(t testing.TB) {
	t.Helper()
	for _, k := range awsEnv {
		t.Setenv(k, "")
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "absent-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "absent-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// Env points the SDK's standard configuration at the server for the rest of the test:
// AWS_ENDPOINT_URL_PRICING is its URL and the credentials are static test keys; the
// region variable names eu-west-3, which the pricing client must ignore.
func (s *Server) Env(t testing.TB) {
	t.Helper()
	NoCredentials(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDPRICELISTTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "pricelisttest-secret")
	t.Setenv("AWS_REGION", "eu-west-3")
	t.Setenv("AWS_ENDPOINT_URL_PRICING", s.URL)
}
