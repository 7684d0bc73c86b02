package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/component-base/version"
)

const (
	simNode = "sim-node"
	// UnreadyAnnotation keeps a pod Running but never Ready (so its Deployment never becomes
	// Available). It is re-evaluated on every pod update, so removing it makes the pod Ready.
	UnreadyAnnotation = "sim.sluice.dev/unready"
)

// podSim stands in for kube-scheduler and kubelet: it binds every unscheduled pod to the fake
// node, reports it Running (and Ready unless annotated), and finishes graceful deletions.
type podSim struct {
	cs     kubernetes.Interface
	pods   corelisters.PodLister
	queue  workqueue.TypedRateLimitingInterface[string]
	mu     sync.Mutex
	ips    map[types.UID]string
	nextIP uint32
}

func ensureNode(ctx context.Context, cs kubernetes.Interface) error {
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: simNode, Labels: map[string]string{
		"kubernetes.io/hostname": simNode, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
		"sim.sluice.dev/node": "true",
	}}}
	if _, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	cur, err := cs.CoreV1().Nodes().Get(ctx, simNode, metav1.GetOptions{})
	if err != nil {
		return err
	}
	now := metav1.Now()
	res := corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("64"), corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods: resource.MustParse("10000"),
	}
	cond := func(t corev1.NodeConditionType, s corev1.ConditionStatus, reason string) corev1.NodeCondition {
		return corev1.NodeCondition{Type: t, Status: s, Reason: reason, LastHeartbeatTime: now, LastTransitionTime: now}
	}
	cur.Status = corev1.NodeStatus{
		Capacity: res, Allocatable: res, Phase: corev1.NodeRunning,
		Conditions: []corev1.NodeCondition{
			cond(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady"),
			cond(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory"),
			cond(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure"),
			cond(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID"),
		},
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}, {Type: corev1.NodeHostName, Address: simNode}},
		NodeInfo: corev1.NodeSystemInfo{
			KubeletVersion: version.Get().GitVersion, OperatingSystem: "linux", Architecture: "amd64",
			ContainerRuntimeVersion: "sim://1", OSImage: "sluice pod simulator",
		},
	}
	_, err = cs.CoreV1().Nodes().UpdateStatus(ctx, cur, metav1.UpdateOptions{})
	return err
}

func runPodSim(ctx context.Context, cs kubernetes.Interface) error {
	if err := ensureNode(ctx, cs); err != nil {
		return fmt.Errorf("node %s: %w", simNode, err)
	}
	f := informers.NewSharedInformerFactory(cs, 0)
	inf := f.Core().V1().Pods()
	s := &podSim{cs: cs, pods: inf.Lister(), ips: map[types.UID]string{},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](20*time.Millisecond, 5*time.Second),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "podsim"})}
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			s.queue.Add(key)
		}
	}
	if _, err := inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, n any) { enqueue(n) },
		DeleteFunc: func(obj any) {
			if p, ok := obj.(*corev1.Pod); ok {
				s.mu.Lock()
				delete(s.ips, p.UID)
				s.mu.Unlock()
			}
		},
	}); err != nil {
		return err
	}
	f.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), inf.Informer().HasSynced) {
		return fmt.Errorf("pod informer did not sync")
	}
	for i := 0; i < 4; i++ {
		go func() {
			for s.process(ctx) {
			}
		}()
	}
	go func() { <-ctx.Done(); s.queue.ShutDown() }()
	return nil
}

func (s *podSim) process(ctx context.Context) bool {
	key, quit := s.queue.Get()
	if quit {
		return false
	}
	defer s.queue.Done(key)
	if err := s.sync(ctx, key); err != nil {
		if s.queue.NumRequeues(key) < 15 {
			s.queue.AddRateLimited(key)
		} else {
			utilruntime.HandleError(fmt.Errorf("podsim: giving up on %s: %w", key, err))
			s.queue.Forget(key)
		}
		return true
	}
	s.queue.Forget(key)
	return true
}

func (s *podSim) podIP(uid types.UID) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ip, ok := s.ips[uid]; ok {
		return ip
	}
	n := s.nextIP % (250 * 250)
	s.nextIP++
	ip := fmt.Sprintf("127.1.%d.%d", n/250, n%250+2) // fake, never used for traffic
	s.ips[uid] = ip
	return ip
}

func (s *podSim) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	pod, err := s.pods.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	} else if err != nil {
		return err
	}
	pods := s.cs.CoreV1().Pods(ns)
	if pod.DeletionTimestamp != nil {
		// what the kubelet does once containers are stopped: remove the pod for good
		zero := int64(0)
		err := pods.Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &pod.UID}})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return nil
		}
		return err
	}
	if pod.Spec.NodeName == "" {
		err := pods.Bind(ctx, &corev1.Binding{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: pod.UID},
			Target:     corev1.ObjectReference{Kind: "Node", Name: simNode},
		}, metav1.CreateOptions{})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return nil // gone or already bound; the informer brings the next state
		}
		return err
	}
	if pod.Spec.NodeName != simNode || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return nil
	}
	want := s.desiredStatus(pod)
	if statusKey(&pod.Status) == statusKey(want) {
		return nil
	}
	upd := pod.DeepCopy()
	upd.Status = *want
	_, err = pods.UpdateStatus(ctx, upd, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// statusKey captures what the simulator decides; timestamps are ignored.
func statusKey(st *corev1.PodStatus) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%s|", st.Phase, st.PodIP)
	for _, c := range st.Conditions {
		fmt.Fprintf(&b, "%s=%s,", c.Type, c.Status)
	}
	for _, c := range st.ContainerStatuses {
		fmt.Fprintf(&b, "%s:%v:%v,", c.Name, c.Ready, c.State.Running != nil)
	}
	for _, c := range st.InitContainerStatuses {
		fmt.Fprintf(&b, "%s:%v,", c.Name, c.Ready)
	}
	return b.String()
}

func (s *podSim) desiredStatus(pod *corev1.Pod) *corev1.PodStatus {
	ready := pod.Annotations[UnreadyAnnotation] != "true"
	now := metav1.Now()
	st := pod.Status.DeepCopy()
	st.Phase = corev1.PodRunning
	if st.StartTime == nil {
		st.StartTime = &now
	}
	if st.PodIP == "" {
		st.PodIP = s.podIP(pod.UID)
	}
	st.PodIPs = []corev1.PodIP{{IP: st.PodIP}}
	st.HostIP, st.HostIPs = "127.0.0.1", []corev1.HostIP{{IP: "127.0.0.1"}}
	readyStatus, reason, msg := corev1.ConditionTrue, "", ""
	if !ready {
		names := make([]string, 0, len(pod.Spec.Containers))
		for _, c := range pod.Spec.Containers {
			names = append(names, c.Name)
		}
		readyStatus, reason = corev1.ConditionFalse, "ContainersNotReady"
		msg = fmt.Sprintf("containers with unready status: [%s] (%s=true)", strings.Join(names, " "), UnreadyAnnotation)
	}
	old := map[corev1.PodConditionType]corev1.PodCondition{}
	for _, c := range pod.Status.Conditions {
		old[c.Type] = c
	}
	mk := func(t corev1.PodConditionType, status corev1.ConditionStatus, reason, msg string) corev1.PodCondition {
		c := corev1.PodCondition{Type: t, Status: status, Reason: reason, Message: msg, LastTransitionTime: now}
		if o, ok := old[t]; ok && o.Status == status {
			c.LastTransitionTime = o.LastTransitionTime
		}
		return c
	}
	st.Conditions = []corev1.PodCondition{
		mk(corev1.PodReadyToStartContainers, corev1.ConditionTrue, "", ""),
		mk(corev1.PodInitialized, corev1.ConditionTrue, "", ""),
		mk(corev1.ContainersReady, readyStatus, reason, msg),
		mk(corev1.PodReady, readyStatus, reason, msg),
		mk(corev1.PodScheduled, corev1.ConditionTrue, "", ""),
	}
	started := true
	startedAt := *st.StartTime
	st.InitContainerStatuses = nil
	for _, c := range pod.Spec.InitContainers {
		st.InitContainerStatuses = append(st.InitContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: "sim://" + c.Image, ContainerID: "sim://" + string(pod.UID) + "/" + c.Name,
			Ready: true, Started: new(false),
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed", StartedAt: startedAt, FinishedAt: startedAt}},
		})
	}
	st.ContainerStatuses = nil
	for _, c := range pod.Spec.Containers {
		st.ContainerStatuses = append(st.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: "sim://" + c.Image, ContainerID: "sim://" + string(pod.UID) + "/" + c.Name,
			Ready: ready, Started: &started,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: startedAt}},
		})
	}
	return st
}
