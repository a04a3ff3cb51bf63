package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
	yaml "go.yaml.in/yaml/v3"
)

// manifest is the part of a Kubernetes object the checks read.
type manifest struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
	Resources  []string          `yaml:"resources"`
	Spec       struct {
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		ServiceSelector map[string]string `yaml:"-"`
		ScaleTargetRef  struct {
			Kind, Name string
		} `yaml:"scaleTargetRef"`
		MinReplicas int `yaml:"minReplicas"`
		Template    struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec struct {
				Containers []container `yaml:"containers"`
				Volumes    []struct {
					Name   string `yaml:"name"`
					Secret struct {
						SecretName string `yaml:"secretName"`
					} `yaml:"secret"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type container struct {
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Env []struct {
		Name string `yaml:"name"`
	} `yaml:"env"`
	EnvFrom []struct {
		ConfigMapRef *struct{ Name string } `yaml:"configMapRef"`
		SecretRef    *struct{ Name string } `yaml:"secretRef"`
	} `yaml:"envFrom"`
	ReadinessProbe probe `yaml:"readinessProbe"`
	LivenessProbe  probe `yaml:"livenessProbe"`
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

// flagsOf lists the environment variables a command reads: USHER_ and the
// name of each of its flags and the global ones.
func flagsOf(t *testing.T, command string) map[string]bool {
	t.Helper()
	parser, err := kong.New(&cli{}, kong.Name("usher"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, n := range parser.Model.Node.Children {
		if n.Name != command {
			continue
		}
		for _, group := range n.AllFlags(false) {
			for _, f := range group {
				out["USHER_"+strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))] = true
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no flags for %q", command)
	}
	return out
}

// TestKubernetesManifests checks deploy/k8s against the program: every
// environment variable and flag it sets exists, the probes hit the health
// endpoints, and the objects point at each other by the right names and
// labels.
func TestKubernetesManifests(t *testing.T) {
	dir := filepath.Join("..", "..", "deploy", "k8s")
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s: %v", dir, err)
	}
	byKind := map[string][]manifest{}
	var kustomization manifest
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for {
			var m manifest
			if err := dec.Decode(&m); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if m.Kind == "" || m.APIVersion == "" {
				t.Fatalf("%s: a document without kind or apiVersion", f)
			}
			if m.Kind == "Kustomization" {
				kustomization = m
				continue
			}
			if m.Metadata.Name == "" {
				t.Errorf("%s: a %s without a name", f, m.Kind)
			}
			byKind[m.Kind] = append(byKind[m.Kind], m)
		}
	}
	for _, f := range files {
		if base := filepath.Base(f); base != "kustomization.yaml" && !slices.Contains(kustomization.Resources, base) {
			t.Errorf("kustomization.yaml does not list %s", base)
		}
	}
	for _, r := range kustomization.Resources {
		if _, err := os.Stat(filepath.Join(dir, r)); err != nil {
			t.Errorf("kustomization.yaml lists %s: %v", r, err)
		}
	}

	serve := flagsOf(t, "serve")
	env := map[string]string{}
	for _, cm := range byKind["ConfigMap"] {
		for k, v := range cm.Data {
			env[k] = v
		}
	}
	for _, s := range byKind["Secret"] {
		for k, v := range s.StringData {
			if strings.HasPrefix(k, "USHER_") {
				env[k] = v
			}
		}
	}
	for k := range env {
		if !serve[k] {
			t.Errorf("%s is set but usher serve has no such flag", k)
		}
	}

	deps := byKind["Deployment"]
	if len(deps) != 1 || len(deps[0].Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("want one Deployment with one container: %+v", deps)
	}
	dep := deps[0]
	c := dep.Spec.Template.Spec.Containers[0]
	if len(c.Args) == 0 || c.Args[0] != "serve" {
		t.Errorf("the container runs %v, not usher serve", c.Args)
	}
	for _, a := range c.Args[1:] {
		if name, ok := strings.CutPrefix(a, "--"); ok && !serve["USHER_"+strings.ToUpper(strings.ReplaceAll(name, "-", "_"))] {
			t.Errorf("usher serve has no flag %s", a)
		}
	}
	for _, e := range c.Env {
		if !serve[e.Name] {
			t.Errorf("%s is set but usher serve has no such flag", e.Name)
		}
	}
	if c.ReadinessProbe.HTTPGet.Path != "/readyz" || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("probes: ready %q, live %q", c.ReadinessProbe.HTTPGet.Path, c.LivenessProbe.HTTPGet.Path)
	}
	port := regexp.MustCompile(`:(\d+)$`).FindStringSubmatch(env["USHER_ADDR"])
	if len(c.Ports) != 1 || port == nil || port[1] != "8080" || c.Ports[0].ContainerPort != 8080 || c.ReadinessProbe.HTTPGet.Port != c.Ports[0].Name {
		t.Errorf("the server listens on %q; the container port is %+v", env["USHER_ADDR"], c.Ports)
	}
	secrets := map[string]bool{}
	for _, s := range byKind["Secret"] {
		secrets[s.Metadata.Name] = true
	}
	for _, v := range dep.Spec.Template.Spec.Volumes {
		if v.Secret.SecretName != "" && !secrets[v.Secret.SecretName] {
			t.Errorf("volume %s mounts the missing secret %s", v.Name, v.Secret.SecretName)
		}
	}
	pods := dep.Spec.Template.Metadata.Labels
	matches := func(sel map[string]string) bool {
		for k, v := range sel {
			if pods[k] != v {
				return false
			}
		}
		return len(sel) > 0
	}
	if !matches(dep.Spec.Selector.MatchLabels) {
		t.Errorf("the Deployment's selector %v does not match its pods %v", dep.Spec.Selector.MatchLabels, pods)
	}
	for _, kind := range []string{"PodDisruptionBudget"} {
		for _, m := range byKind[kind] {
			if !matches(m.Spec.Selector.MatchLabels) {
				t.Errorf("the %s selects %v, not the server pods", kind, m.Spec.Selector.MatchLabels)
			}
		}
	}
	hpa := byKind["HorizontalPodAutoscaler"]
	if len(hpa) != 1 || hpa[0].Spec.ScaleTargetRef.Kind != "Deployment" || hpa[0].Spec.ScaleTargetRef.Name != dep.Metadata.Name || hpa[0].Spec.MinReplicas < 2 {
		t.Errorf("autoscaler: %+v", hpa)
	}
	jobs := byKind["Job"]
	if len(jobs) != 1 || len(jobs[0].Spec.Template.Spec.Containers) != 1 || jobs[0].Spec.Template.Spec.Containers[0].Args[0] != "migrate" {
		t.Errorf("migrate job: %+v", jobs)
	}
}

// The Service's selector is a plain map (not matchLabels), read apart.
func TestKubernetesServiceSelectsTheServer(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "deploy", "k8s", "service.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var svc struct {
		Spec struct {
			Selector map[string]string `yaml:"selector"`
			Ports    []struct {
				TargetPort string `yaml:"targetPort"`
			} `yaml:"ports"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(raw, &svc); err != nil {
		t.Fatal(err)
	}
	if svc.Spec.Selector["app.kubernetes.io/component"] != "server" || len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort != "http" {
		t.Errorf("service: %+v", svc.Spec)
	}
}

// The image builds with the Go the module asks for, and the program.
func TestDockerfile(t *testing.T) {
	df, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	gov := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(mod)
	if gov == nil || !bytes.Contains(df, []byte("FROM golang:"+string(gov[1])+"-")) {
		t.Errorf("the Dockerfile does not build with Go %s", gov[1])
	}
	for _, want := range []string{"./cmd/usher", "fonts-nanum", "USER 10001", `CMD ["serve"]`, "CGO_ENABLED=0"} {
		if !bytes.Contains(df, []byte(want)) {
			t.Errorf("the Dockerfile lacks %q", want)
		}
	}
}
