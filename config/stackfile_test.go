package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUpdateStackFile edits stack files written the ways people write them and holds the
// result to the exact bytes expected: only the measured keys' values change (or are added
// at the end of the config block), comments, quoting styles and key order stay.
func TestUpdateStackFile(t *testing.T) {
	measured := map[string]string{
		"lambdabridge:payloadSize":    "412KB",
		"lambdabridge:compressedSize": "31KB",
		"lambdabridge:sourceHasIpv6":  "false",
	}
	cases := []struct {
		name, in, want, diff string
	}{
		{
			name: "comments and mixed quoting, keys in an unusual order",
			in: `# the dev stack
config:
  lambdabridge:sourceHasIpv6: "unknown"   # measured with --measure
  aws:region: ap-northeast-1
  # sizes, measured 2026-11-01
  lambdabridge:compressedSize: '19KB'
  lambdabridge:schedule: rate(10 minutes) # every ten
  lambdabridge:payloadSize: 279KB
  lambdabridge:subnetIds:
    - subnet-0aaaaaaaaaaaaaaa1
`,
			want: `# the dev stack
config:
  lambdabridge:sourceHasIpv6: "false"   # measured with --measure
  aws:region: ap-northeast-1
  # sizes, measured 2026-11-01
  lambdabridge:compressedSize: '31KB'
  lambdabridge:schedule: rate(10 minutes) # every ten
  lambdabridge:payloadSize: 412KB
  lambdabridge:subnetIds:
    - subnet-0aaaaaaaaaaaaaaa1
`,
			diff: `-  lambdabridge:sourceHasIpv6: "unknown"   # measured with --measure
+  lambdabridge:sourceHasIpv6: "false"   # measured with --measure
-  lambdabridge:compressedSize: '19KB'
+  lambdabridge:compressedSize: '31KB'
-  lambdabridge:payloadSize: 279KB
+  lambdabridge:payloadSize: 412KB
`,
		},
		{
			name: "missing keys are added at the end of the block, with its indentation",
			in: `config:
    aws:region: us-east-1    # four-space indent
    lambdabridge:payloadSize: 279KB
encryptionsalt: v1:abc
`,
			want: `config:
    aws:region: us-east-1    # four-space indent
    lambdabridge:payloadSize: 412KB
    lambdabridge:compressedSize: 31KB
    lambdabridge:sourceHasIpv6: false
encryptionsalt: v1:abc
`,
			diff: `-    lambdabridge:payloadSize: 279KB
+    lambdabridge:payloadSize: 412KB
+    lambdabridge:compressedSize: 31KB
+    lambdabridge:sourceHasIpv6: false
`,
		},
		{
			name: "no config block",
			in:   "encryptionsalt: v1:abc\n",
			want: "encryptionsalt: v1:abc\nconfig:\n  lambdabridge:compressedSize: 31KB\n  lambdabridge:payloadSize: 412KB\n  lambdabridge:sourceHasIpv6: false\n",
			diff: "+config:\n+  lambdabridge:compressedSize: 31KB\n+  lambdabridge:payloadSize: 412KB\n+  lambdabridge:sourceHasIpv6: false\n",
		},
		{
			name: "already up to date: nothing changes",
			in:   "config:\n  lambdabridge:payloadSize: \"412KB\"\n  lambdabridge:compressedSize: 31KB # c\n  lambdabridge:sourceHasIpv6: false\n",
			want: "config:\n  lambdabridge:payloadSize: \"412KB\"\n  lambdabridge:compressedSize: 31KB # c\n  lambdabridge:sourceHasIpv6: false\n",
			diff: "",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "Pulumi.dev.yaml")
			if err := os.WriteFile(path, []byte(tc.in), 0o640); err != nil {
				t.Fatal(err)
			}
			diff, err := UpdateStackFile(path, measured)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if string(got) != tc.want {
				t.Errorf("file:\n%s\nwant:\n%s", got, tc.want)
			}
			if diff != tc.diff {
				t.Errorf("diff:\n%s\nwant:\n%s", diff, tc.diff)
			}
			if info, _ := os.Stat(path); info.Mode().Perm() != 0o640 {
				t.Errorf("mode %v, want 0640 kept", info.Mode().Perm())
			}
			// The config decoder reads the measured values back.
			cfg, err := LoadStack(filepath.Dir(path), "dev")
			if err != nil && !strings.Contains(err.Error(), "Pulumi.yaml") {
				t.Fatal(err)
			}
			if err == nil && (cfg.PayloadBytes != 412000 || cfg.CompressedBytes != 31000 || cfg.SourceHasIPv6 == nil || *cfg.SourceHasIPv6) {
				t.Errorf("read back %d/%d/%v", cfg.PayloadBytes, cfg.CompressedBytes, cfg.SourceHasIPv6)
			}
		})
	}
}

// TestUpdateStackFileRefuses what it cannot edit line by line.
func TestUpdateStackFileRefuses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Pulumi.dev.yaml")
	in := "config:\n  lambdabridge:payloadSize:\n    secure: AAABAxyz\n"
	if err := os.WriteFile(path, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := UpdateStackFile(path, map[string]string{"lambdabridge:payloadSize": "1KB"}); err == nil || !strings.Contains(err.Error(), "lambdabridge:payloadSize") {
		t.Errorf("error %v, want one naming the key it cannot edit", err)
	}
	if got, _ := os.ReadFile(path); string(got) != in {
		t.Errorf("file changed on a refusal:\n%s", got)
	}
}
