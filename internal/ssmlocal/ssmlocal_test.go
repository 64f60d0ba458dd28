package ssmlocal

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

func client(s *Server) *ssm.Client {
	return ssm.New(ssm.Options{Region: Region, BaseEndpoint: aws.String(s.URL()),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
}

// TestGetParameter: the SDK's own client reads a SecureString decrypted (one KMS Decrypt
// counted), gets ciphertext without WithDecryption (no Decrypt), and a missing name is
// ParameterNotFound, as the API answers.
func TestGetParameter(t *testing.T) {
	s := New()
	defer s.Close()
	s.PutSecureString("/lb/source-headers", `{"X-Api-Key":"k"}`)
	c := client(s)
	ctx := context.Background()
	out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/lb/source-headers"), WithDecryption: aws.Bool(true)})
	if err != nil || aws.ToString(out.Parameter.Value) != `{"X-Api-Key":"k"}` || out.Parameter.Type != types.ParameterTypeSecureString ||
		aws.ToString(out.Parameter.ARN) != "arn:aws:ssm:us-east-1:000000000000:parameter/lb/source-headers" {
		t.Fatalf("decrypted read: %+v, %v", out, err)
	}
	out, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/lb/source-headers")})
	if err != nil || strings.Contains(aws.ToString(out.Parameter.Value), "X-Api-Key") {
		t.Errorf("read without decryption returned the plaintext: %v", err)
	}
	var nf *types.ParameterNotFound
	if _, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/lb/none"), WithDecryption: aws.Bool(true)}); !errors.As(err, &nf) {
		t.Errorf("missing parameter: %v, want ParameterNotFound", err)
	}
	if s.Reads() != 3 || s.Decrypts() != 1 {
		t.Errorf("%d reads, %d decrypts; want 3 and 1", s.Reads(), s.Decrypts())
	}
}

// TestRefusesUnsignedRequests: a request without a SigV4 signature for ssm is refused and
// not counted.
func TestRefusesUnsignedRequests(t *testing.T) {
	s := New()
	defer s.Close()
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/", strings.NewReader(`{"Name":"/x"}`))
	req.Header.Set("X-Amz-Target", Target)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Amzn-ErrorType") != "MissingAuthenticationTokenException" || s.Reads() != 0 {
		t.Errorf("unsigned: %d %s, %d reads", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), s.Reads())
	}
}
