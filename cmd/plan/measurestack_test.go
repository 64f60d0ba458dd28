package main

import (
	"github.com/lambdabridge/lambdabridge/internal/exitcode"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sourceAPIKey is the source's API key in these tests: the source demands it; nothing printed
// may hold it.
const sourceAPIKey = "sk-live-0f1e2d3c4b5a"

// keyedSource serves the sample only to a request with X-Api-Key: sourceAPIKey.
func keyedSource(t *testing.T) *httptest.Server {
	t.Helper()
	body, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != sourceAPIKey {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// stackWithSource writes a stack file "src" whose sourceUrl is url, with comments, three
// quoting styles, keys in an unusual order and an encrypted sourceHeaders, and returns the
// project dir and the file's path.
func stackWithSource(t *testing.T, url string) (dir, path string) {
	t.Helper()
	dir = fixtureDir(t)
	path = filepath.Join(dir, "Pulumi.src.yaml")
	content := `# A stack whose source wants a key.
encryptionsalt: v1:abc
config:
  lambdabridge:topology: auto   # keep the planner's choice
  lambdabridge:compressedSize: '19KB'
  # measured long ago
  lambdabridge:payloadSize: "279KB" # quoted on purpose
  lambdabridge:sourceHeaders:
    secure: v1:ZW5jcnlwdGVkaGVhZGVycw==
  lambdabridge:sourceUrl: ` + url + `
  aws:region: ap-northeast-1
`
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

func aaaa() resolver { return fakeResolver{ips: []net.IP{net.ParseIP("2001:db8::1")}} }

// TestMeasureStackWritesTheStack: --measure-stack GETs the stack's own sourceUrl with the
// headers from LAMBDABRIDGE_SOURCE_HEADERS (the stack's are encrypted), measures it with the
// fetcher's codec, and --write-stack records payloadSize, compressedSize and sourceHasIpv6 in
// place: the two existing keys keep their quoting, comment and position, the missing one is
// added at the end of the config block, nothing else changes, and the diff is printed. The
// key is in no output, and the URL's query is not shown.
func TestMeasureStackWritesTheStack(t *testing.T) {
	src := keyedSource(t)
	dir, path := stackWithSource(t, src.URL+"/feed.json?account=acme-42")
	t.Setenv(HeadersEnv, `{"X-Api-Key":"`+sourceAPIKey+`"}`)
	r := run(t, testCLI(aaaa()), "--dir", dir, "--stack", "src", "--as-of", "2026-11-25", "--measure-stack", "--write-stack")
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"stack src: GET " + src.URL + "/feed.json (lambdabridge:sourceUrl) with headers X-Api-Key\n",
		"  headers from LAMBDABRIDGE_SOURCE_HEADERS (values not shown)\n",
		"measured " + src.URL + "/feed.json\n",
		"  status 200, content type \"application/json\"\n",
		// The sample: 278,715 B raw; 46,875 B with the fetcher's codec (measurements.md).
		"  raw 278715 bytes (278.71 KB), compressed 46875 bytes (46.88 KB) with the fetcher's codec (gzip): 16.8% of raw\n",
		"  AAAA record: yes\n",
		// --write-stack writes sizes in whole KB, rounded up (46,875 B -> 47KB;
		// 278,715 B -> 279KB, which the file already holds).
		"wrote " + path + ":\n" +
			"-  lambdabridge:compressedSize: '19KB'\n" +
			"+  lambdabridge:compressedSize: '47KB'\n" +
			"+  lambdabridge:sourceHasIpv6: true\n",
		"payload 278.71 KB raw, 46.88 KB compressed",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, out := range []string{r.stdout, r.stderr} {
		if strings.Contains(out, sourceAPIKey) || strings.Contains(out, "acme-42") {
			t.Errorf("output holds the key or the URL's query:\n%s", out)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := `# A stack whose source wants a key.
encryptionsalt: v1:abc
config:
  lambdabridge:topology: auto   # keep the planner's choice
  lambdabridge:compressedSize: '47KB'
  # measured long ago
  lambdabridge:payloadSize: "279KB" # quoted on purpose
  lambdabridge:sourceHeaders:
    secure: v1:ZW5jcnlwdGVkaGVhZGVycw==
  lambdabridge:sourceUrl: ` + src.URL + `/feed.json?account=acme-42
  aws:region: ap-northeast-1
  lambdabridge:sourceHasIpv6: true
`
	if string(got) != want {
		t.Errorf("stack file:\n%s\nwant\n%s", got, want)
	}

	// Measured again, the file already holds the values: nothing is written.
	r = run(t, testCLI(aaaa()), "--dir", dir, "--stack", "src", "--as-of", "2026-11-25", "--measure-stack", "--write-stack")
	if r.code != 0 || !strings.Contains(r.stdout, path+" already holds the measured values") {
		t.Errorf("second run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestMeasureStackEncryptedHeaders: without LAMBDABRIDGE_SOURCE_HEADERS the encrypted stack
// key is reported as set but unreadable, with the command that fills the variable; the source
// refuses the request, which is a failure (exit 1) saying no headers were sent.
func TestMeasureStackEncryptedHeaders(t *testing.T) {
	src := keyedSource(t)
	dir, path := stackWithSource(t, src.URL+"/feed.json")
	before, _ := os.ReadFile(path)
	t.Setenv(HeadersEnv, "")
	r := run(t, testCLI(aaaa()), "--dir", dir, "--stack", "src", "--measure-stack", "--write-stack")
	if r.code != exitcode.Failure {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"with no request headers",
		`lambdabridge:sourceHeaders is set but encrypted (secure:): only Pulumi can decrypt it, so no headers are sent; to send them: export LAMBDABRIDGE_SOURCE_HEADERS="$(pulumi config get sourceHeaders)"`,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "status 401 Unauthorized") || !strings.Contains(r.stderr, "no request headers were sent: put the source's key in LAMBDABRIDGE_SOURCE_HEADERS") {
		t.Errorf("stderr %q", r.stderr)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("a failed measurement wrote the stack file")
	}
}

func TestMeasureStackBadInput(t *testing.T) {
	src := keyedSource(t)
	dir, _ := stackWithSource(t, src.URL)
	noURL := fixtureDir(t)
	if err := os.WriteFile(filepath.Join(noURL, "Pulumi.nourl.yaml"), []byte("config:\n  lambdabridge:payloadSize: 1MB\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, env string
		args      []string
		want      string
	}{
		{"bad headers, value not shown", sourceAPIKey, []string{"--dir", dir, "--stack", "src", "--measure-stack"},
			"plan: LAMBDABRIDGE_SOURCE_HEADERS: the value is not a JSON object of header name to value"},
		{"with --measure", "", []string{"--dir", dir, "--stack", "src", "--measure-stack", "--measure", src.URL},
			"--measure-stack measures the stack's own sourceUrl: --measure measures or gives the same figures: give one"},
		{"with --ipv6", "", []string{"--dir", dir, "--stack", "src", "--measure-stack", "--ipv6", "true"}, "--ipv6 measures or gives the same figures"},
		{"write without a measurement", "", []string{"--dir", dir, "--stack", "src", "--write-stack"},
			"--write-stack writes measured keys: give --from-metrics, --measure-stack, --sample or --measure"},
		{"no sourceUrl", "", []string{"--dir", noURL, "--stack", "nourl", "--measure-stack"},
			"--measure-stack: config lambdabridge:sourceUrl (stack nourl) is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(HeadersEnv, tc.env)
			r := run(t, testCLI(aaaa()), tc.args...)
			if r.code != exitcode.Usage || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d stderr %q, want 2 and %q", r.code, r.stderr, tc.want)
			}
			if strings.Contains(r.stderr+r.stdout, sourceAPIKey) {
				t.Errorf("the value is shown: %s%s", r.stdout, r.stderr)
			}
		})
	}
}

// TestWriteStackFromSample: --write-stack records a sample's sizes only (a file has no host
// to look up).
func TestWriteStackFromSample(t *testing.T) {
	dir := fixtureDir(t)
	path := filepath.Join(dir, "Pulumi.dev.yaml")
	r := run(t, testCLI(nil), "--dir", dir, "--as-of", "2026-11-25", "--sample", samplePath, "--write-stack")
	if r.code != 0 {
		t.Fatalf("exit %d %s", r.code, r.stderr)
	}
	got, _ := os.ReadFile(path)
	// 278,715 B and 46,875 B in whole KB, rounded up.
	if !strings.Contains(string(got), "lambdabridge:payloadSize: 279KB") || !strings.Contains(string(got), "lambdabridge:compressedSize: 47KB") ||
		strings.Contains(string(got), "sourceHasIpv6") {
		t.Errorf("stack file after --sample --write-stack:\n%s", got)
	}
	if !strings.Contains(r.stdout, "wrote "+path+":") {
		t.Errorf("stdout %s", r.stdout)
	}
}
