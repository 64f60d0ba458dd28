// Package ssmlocal is a local stand-in for AWS Systems Manager Parameter Store, enough for the
// fetcher's cold-start read of its secret headers: an HTTP server that answers the SDK's
// GetParameter (the awsJson1_1 protocol: POST /, X-Amz-Target AmazonSSM.GetParameter, a JSON
// body with Name and WithDecryption) from parameters held in memory, the way the API
// documents it, and counts the reads and the KMS decryptions they would cost.
//
// The local pipeline (cmd/local) keeps the source's headers here, so the functions read them
// exactly as deployed (SOURCE_HEADERS_PARAMETER, AWS_ENDPOINT_URL_SSM) and their environment
// holds no value. https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html
package ssmlocal

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Target is the X-Amz-Target of GetParameter.
const Target = "AmazonSSM.GetParameter"

// Region and Account are what the local ARNs name.
const (
	Region  = "us-east-1"
	Account = "000000000000"
)

// Server is a running local Parameter Store.
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	params   map[string]parameter
	reads    int
	decrypts int
}

type parameter struct {
	value  string
	secure bool
}

// New starts a server on a loopback port.
func New() *Server {
	s := &Server{params: map[string]parameter{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the endpoint to give the SDK (AWS_ENDPOINT_URL_SSM, or BaseEndpoint).
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// PutSecureString stores a SecureString parameter (what infra creates for sourceHeaders).
func (s *Server) PutSecureString(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.params[name] = parameter{value: value, secure: true}
}

// Reads counts the GetParameter requests answered (found or not).
func (s *Server) Reads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// Decrypts counts the KMS Decrypt requests Parameter Store would have made: one per
// GetParameter WithDecryption of a standard SecureString.
// https://docs.aws.amazon.com/kms/latest/developerguide/services-parameter-store.html
func (s *Server) Decrypts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.decrypts
}

// getParameterInput is GetParameter's request body.
type getParameterInput struct {
	Name           string
	WithDecryption bool
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/":
		fail(w, http.StatusBadRequest, "UnknownOperationException", "want POST /")
		return
	case r.Header.Get("X-Amz-Target") != Target:
		fail(w, http.StatusBadRequest, "UnknownOperationException", fmt.Sprintf("only %s is served here, not %q", Target, r.Header.Get("X-Amz-Target")))
		return
	case !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-amz-json-1.1"):
		fail(w, http.StatusBadRequest, "SerializationException", "want Content-Type application/x-amz-json-1.1")
		return
	case !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") || !strings.Contains(r.Header.Get("Authorization"), "/ssm/aws4_request"):
		fail(w, http.StatusBadRequest, "MissingAuthenticationTokenException", "want a SigV4 signature for the ssm service")
		return
	}
	var in getParameterInput
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Name == "" {
		fail(w, http.StatusBadRequest, "ValidationException", "want a JSON body with Name")
		return
	}
	s.mu.Lock()
	s.reads++
	p, ok := s.params[in.Name]
	if ok && p.secure && in.WithDecryption {
		s.decrypts++
	}
	s.mu.Unlock()
	if !ok {
		fail(w, http.StatusBadRequest, "ParameterNotFound", "")
		return
	}
	typ, value := "String", p.value
	if p.secure {
		typ = "SecureString"
		if !in.WithDecryption {
			value = "AQICAHjlocalciphertext" // what GetParameter returns without WithDecryption: ciphertext
		}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(map[string]any{"Parameter": map[string]any{
		"Name": in.Name, "Type": typ, "Value": value, "Version": 1, "DataType": "text",
		"ARN":              fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/%s", Region, Account, strings.TrimPrefix(in.Name, "/")),
		"LastModifiedDate": float64(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC).Unix()),
	}})
}

// fail answers an awsJson1_1 error: the type in __type (and X-Amzn-ErrorType), as the SDK reads it.
func fail(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}
