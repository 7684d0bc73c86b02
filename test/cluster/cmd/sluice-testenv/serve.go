package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/component-base/cli"
	apiserverapp "k8s.io/kubernetes/cmd/kube-apiserver/app"
)

// The kube-controller-manager controllers a progressive-delivery controller depends on.
// serviceaccount(-token) keep the ServiceAccount admission plugin enabled (pods need a "default" SA),
// clusterrole-aggregation makes the aggregated admin/edit/view roles real for RBAC tests.
var controllers = []string{
	"deployment-controller", "replicaset-controller", "garbage-collector-controller",
	"namespace-controller", "serviceaccount-controller", "serviceaccount-token-controller",
	"clusterrole-aggregation-controller", "root-ca-certificate-publisher-controller",
}

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "%s sluice-testenv: %s\n", time.Now().UTC().Format("15:04:05.000"), fmt.Sprintf(format, a...))
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func loopbackURL(port int) url.URL {
	return url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(port)}
}

func loopbackAddr(port int) string { u := loopbackURL(port); return u.String() }

func writeKubeconfig(path, server string, p pki) error {
	ca, err := os.ReadFile(p.caCert)
	if err != nil {
		return err
	}
	crt, err := os.ReadFile(p.adminCert)
	if err != nil {
		return err
	}
	key, err := os.ReadFile(p.adminKey)
	if err != nil {
		return err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["sluice-testenv"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca}
	cfg.AuthInfos["sluice-admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: crt, ClientKeyData: key}
	cfg.Contexts["sluice-testenv"] = &clientcmdapi.Context{Cluster: "sluice-testenv", AuthInfo: "sluice-admin", Namespace: "default"}
	cfg.CurrentContext = "sluice-testenv"
	tmp := path + ".tmp"
	if err := clientcmd.WriteToFile(*cfg, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// startChild runs this binary with the given role as a child that dies with us (PDEATHSIG is
// bound to the OS thread that forked, so that thread stays locked for the child's lifetime).
func startChild(logPath string, args ...string) (<-chan error, *os.Process, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, err
	}
	started := make(chan error, 1)
	done := make(chan error, 1)
	var proc *os.Process
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine only after the child is gone
		cmd := exec.Command(exe, args...)
		cmd.Stdout, cmd.Stderr = logFile, logFile
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		proc = cmd.Process
		started <- nil
		done <- cmd.Wait()
		logFile.Close()
	}()
	if err := <-started; err != nil {
		return nil, nil, err
	}
	return done, proc, nil
}

func serve(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	dir := fs.String("dir", "", "state directory (pki, etcd data, kubeconfig, logs)")
	port := fs.Int("apiserver-port", 0, "kube-apiserver secure port on 127.0.0.1 (0: pick a free one)")
	verbosity := fs.Int("v", 0, "klog verbosity of apiserver and controller-manager")
	auditPolicy := fs.String("audit-policy-file", "", "kube-apiserver audit policy (audit.k8s.io/v1 Policy); empty: no audit log")
	auditLog := fs.String("audit-log-path", "", "where the audit log goes (JSON lines; default <dir>/audit/audit.log when a policy is given)")
	_ = fs.Parse(args)
	if *dir == "" {
		logf("--dir is required")
		return 2
	}
	d, err := filepath.Abs(*dir)
	if err != nil {
		logf("%v", err)
		return 1
	}
	audit := auditConfig{policy: *auditPolicy, log: *auditLog}
	if audit.policy != "" && audit.log == "" {
		audit.log = filepath.Join(d, "audit", "audit.log")
	}
	if err := run(d, *port, *verbosity, audit); err != nil {
		logf("FAILED: %v", err)
		return 1
	}
	return 0
}

// auditConfig: the kube-apiserver's audit policy file and log path; no audit log when policy is "".
type auditConfig struct {
	policy string
	log    string
}

// args are the kube-apiserver flags for a JSON-lines audit log of at most 200 MB per file and 10
// rotated files (audit-<time>.log beside it), written synchronously (blocking mode) so the log
// holds every event by the time the request has been answered.
func (a auditConfig) args() ([]string, error) {
	if a.policy == "" {
		return nil, nil
	}
	if _, err := os.Stat(a.policy); err != nil {
		return nil, fmt.Errorf("audit policy: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(a.log), 0o755); err != nil {
		return nil, err
	}
	return []string{
		"--audit-policy-file=" + a.policy, "--audit-log-path=" + a.log, "--audit-log-format=json",
		"--audit-log-mode=blocking", "--audit-log-maxsize=200", "--audit-log-maxbackup=10", "--audit-log-maxage=0",
	}, nil
}

func run(dir string, apiPort, verbosity int, audit auditConfig) error {
	start := time.Now()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	_ = os.Remove(filepath.Join(dir, "serve.ready"))
	p := newPKI(filepath.Join(dir, "pki"))
	if err := p.ensure(); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	ports := make([]int, 3)
	var err error
	for i := range ports {
		if ports[i], err = freePort(); err != nil {
			return err
		}
	}
	if apiPort == 0 {
		apiPort = ports[2]
	}
	etcdClient, etcdPeer := ports[0], ports[1]

	// 1. embedded etcd
	ecfg := embed.NewConfig()
	ecfg.Name = "sluice"
	ecfg.Dir = filepath.Join(dir, "etcd")
	ecfg.ListenClientUrls = []url.URL{loopbackURL(etcdClient)}
	ecfg.AdvertiseClientUrls = ecfg.ListenClientUrls
	ecfg.ListenPeerUrls = []url.URL{loopbackURL(etcdPeer)}
	ecfg.AdvertisePeerUrls = ecfg.ListenPeerUrls
	ecfg.InitialCluster = ecfg.InitialClusterFromName(ecfg.Name)
	ecfg.LogLevel = "warn"
	ecfg.LogOutputs = []string{filepath.Join(dir, "etcd.log")}
	ecfg.UnsafeNoFsync = true // throw-away test data: skip fsync, much faster on slow disks
	etcd, err := embed.StartEtcd(ecfg)
	if err != nil {
		return fmt.Errorf("etcd: %w", err)
	}
	defer etcd.Close()
	select {
	case <-etcd.Server.ReadyNotify():
	case err := <-etcd.Err():
		return fmt.Errorf("etcd: %w", err)
	case <-time.After(60 * time.Second):
		return fmt.Errorf("etcd not ready after 60s (see etcd.log)")
	}
	logf("etcd ready on 127.0.0.1:%d after %s", etcdClient, time.Since(start).Round(time.Millisecond))

	// 2. kube-apiserver, in this process
	kubeconfig := filepath.Join(dir, "kubeconfig")
	server := fmt.Sprintf("https://127.0.0.1:%d", apiPort)
	if err := writeKubeconfig(kubeconfig, server, p); err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	apiArgs := []string{
		"--etcd-servers=" + loopbackAddr(etcdClient),
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port=" + strconv.Itoa(apiPort),
		"--cert-dir=" + p.dir, "--tls-cert-file=" + p.servingCert, "--tls-private-key-file=" + p.servingKey,
		"--client-ca-file=" + p.caCert,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--api-audiences=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + p.saPub, "--service-account-signing-key-file=" + p.saKey,
		"--service-cluster-ip-range=10.96.0.0/16",
		"--authorization-mode=Node,RBAC",
		"--endpoint-reconciler-type=none",
		"--enable-priority-and-fairness=false",
		"--profiling=false",
		"--v=" + strconv.Itoa(verbosity),
	}
	auditArgs, err := audit.args()
	if err != nil {
		return err
	}
	apiArgs = append(apiArgs, auditArgs...)
	apiCmd := apiserverapp.NewAPIServerCommand()
	apiCmd.SetArgs(apiArgs)
	apiDone := make(chan int, 1)
	go func() { apiDone <- cli.Run(apiCmd) }()

	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	rc.QPS, rc.Burst = 200, 400
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for {
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err == nil && strings.TrimSpace(string(body)) == "ok" {
			break
		}
		select {
		case code := <-apiDone:
			return fmt.Errorf("kube-apiserver exited with code %d before becoming ready", code)
		case <-time.After(250 * time.Millisecond):
		}
		if time.Since(start) > 3*time.Minute {
			return fmt.Errorf("kube-apiserver not ready after 3m: %v", err)
		}
	}
	logf("kube-apiserver ready on %s after %s", server, time.Since(start).Round(time.Millisecond))

	// 3. kube-controller-manager, as a child process (it installs its own signal handler and
	//    global flags/feature gates, which cannot be shared with the apiserver in one process)
	cmDone, cmProc, err := startChild(filepath.Join(dir, "controller-manager.log"), "controller-manager",
		"--kubeconfig="+kubeconfig,
		"--authentication-kubeconfig="+kubeconfig, "--authorization-kubeconfig="+kubeconfig,
		"--bind-address=127.0.0.1", "--secure-port=0",
		"--controllers="+strings.Join(controllers, ","),
		"--leader-elect=false",
		"--use-service-account-credentials=false",
		"--service-account-private-key-file="+p.saKey,
		"--root-ca-file="+p.caCert,
		"--v="+strconv.Itoa(verbosity),
	)
	if err != nil {
		return fmt.Errorf("controller-manager: %w", err)
	}
	stopCM := func() {
		_ = cmProc.Signal(syscall.SIGTERM)
		select {
		case <-cmDone:
		case <-time.After(5 * time.Second):
			_ = cmProc.Kill()
			<-cmDone
		}
	}

	// 4. pod-lifecycle simulator (stands in for scheduler + kubelet)
	if err := runPodSim(ctx, cs); err != nil {
		stopCM()
		return fmt.Errorf("pod simulator: %w", err)
	}

	state, _ := json.Marshal(map[string]any{
		"pid": os.Getpid(), "apiserver": server, "etcd": loopbackAddr(etcdClient),
		"controllerManagerPid": cmProc.Pid, "startupSeconds": time.Since(start).Seconds(),
		"auditLog": audit.log,
	})
	if err := os.WriteFile(filepath.Join(dir, "serve.ready"), append(state, '\n'), 0o644); err != nil {
		return err
	}
	logf("control plane ready after %s", time.Since(start).Round(time.Millisecond))

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	var failure error
	select {
	case s := <-sig:
		logf("got %s, shutting down", s)
	case code := <-apiDone:
		failure = fmt.Errorf("kube-apiserver exited with code %d", code)
		apiDone <- code
	case err := <-cmDone:
		failure = fmt.Errorf("kube-controller-manager exited: %v", err)
		cmDone = closedErrChan()
	}
	_ = os.Remove(filepath.Join(dir, "serve.ready"))
	cancel()
	stopCM()
	// the apiserver got the same signal through its own handler; give it a moment to drain
	select {
	case <-apiDone:
	case <-time.After(10 * time.Second):
		logf("kube-apiserver still shutting down after 10s, exiting anyway")
	}
	return failure
}

func closedErrChan() chan error {
	c := make(chan error, 1)
	c <- nil
	return c
}
