package pricelist_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lambdabridge/lambdabridge/internal/pricelist"
	"github.com/lambdabridge/lambdabridge/internal/pricelist/pricelisttest"
)

// TestNoCredentialsIsNotAnIMDSError: off EC2 the credential chain ends at the instance
// metadata service, whose failure is what the SDK reports; the one line says what to set,
// not that. The metadata service here is a local server that has no role to give.
func TestNoCredentialsIsNotAnIMDSError(t *testing.T) {
	pricelisttest.NoCredentials(t)
	imds := httptest.NewServer(http.NotFoundHandler())
	defer imds.Close()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.URL)
	_, err := pricelist.Load(context.Background())
	if !errors.Is(err, pricelist.ErrNoCredentials) {
		t.Fatalf("Load error %v, want ErrNoCredentials", err)
	}
	if msg := strings.ToLower(err.Error()); strings.Contains(msg, "imds") || strings.Contains(msg, "metadata") || strings.Contains(msg, "\n") {
		t.Errorf("error %q: want one line saying what to set, not the metadata service's failure", err)
	}
}
