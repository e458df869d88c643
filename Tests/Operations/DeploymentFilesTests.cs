using System.Diagnostics;
using System.Globalization;
using k8s;
using k8s.Models;
using ReHome.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace ReHome.Tests.Operations;

/// <summary>
/// The Kubernetes manifests as <c>kubectl kustomize</c> renders them, read into the Kubernetes API's own models
/// (strict: a misspelt or misplaced field fails), and the compose file's shape. Offline: no cluster, no engine.
/// </summary>
public sealed class DeploymentFilesTests
{
    private static readonly string Repository = GatewayFixture.SolutionDirectory();

    [SkippableFact]
    public void The_kubernetes_manifests_render_and_every_field_is_one_the_api_knows()
    {
        var objects = Render();

        var kinds = objects.Select(o => ((IKubernetesObject)o).Kind).Order().ToArray();
        Assert.Equal(["ConfigMap", "Deployment", "Deployment", "HorizontalPodAutoscaler", "Ingress", "PodDisruptionBudget", "PodDisruptionBudget",
            "Role", "RoleBinding", "Service", "Service", "Service", "ServiceAccount", "StatefulSet"], kinds);
        Assert.All(objects.OfType<IMetadata<V1ObjectMeta>>(), o => Assert.Equal("rehome", o.Metadata.NamespaceProperty));
        // Every container states what it needs and what it may take.
        Assert.All(objects.OfType<V1Deployment>().Select(d => d.Spec.Template.Spec).Concat(objects.OfType<V1StatefulSet>().Select(s => s.Spec.Template.Spec))
            .SelectMany(pod => pod.Containers), c =>
            {
                Assert.True(c.Resources.Requests.ContainsKey("cpu") && c.Resources.Requests.ContainsKey("memory"), $"{c.Name} requests cpu and memory");
                Assert.True(c.Resources.Limits.ContainsKey("cpu") && c.Resources.Limits.ContainsKey("memory"), $"{c.Name} has limits");
            });
    }

    [SkippableFact]
    public void Silos_run_orleans_kubernetes_hosting_with_the_pod_identity_and_the_rbac_it_needs()
    {
        var objects = Render();
        var silo = objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "rehome-silo");
        var pod = silo.Spec.Template;
        var container = pod.Spec.Containers.Single();
        var env = container.Env.ToDictionary(e => e.Name);

        Assert.Equal("true", env["Silo__Kubernetes"].Value);
        Assert.Equal("metadata.name", env["POD_NAME"].ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.namespace", env["POD_NAMESPACE"].ValueFrom.FieldRef.FieldPath);
        Assert.Equal("status.podIP", env["POD_IP"].ValueFrom.FieldRef.FieldPath);
        // The agent finds its peers by these labels, which must match Orleans:ServiceId and Orleans:ClusterId.
        var config = objects.OfType<V1ConfigMap>().Single();
        Assert.Equal(config.Data["Orleans__ServiceId"], pod.Metadata.Labels["orleans/serviceId"]);
        Assert.Equal(config.Data["Orleans__ClusterId"], pod.Metadata.Labels["orleans/clusterId"]);
        Assert.Equal(config.Metadata.Name, container.EnvFrom.Single().ConfigMapRef.Name);
        Assert.Equal("/health/ready", container.ReadinessProbe.HttpGet.Path);
        Assert.Equal("/health", container.LivenessProbe.HttpGet.Path);

        var binding = objects.OfType<V1RoleBinding>().Single();
        Assert.Equal(pod.Spec.ServiceAccountName, binding.Subjects.Single().Name);
        var role = objects.OfType<V1Role>().Single(r => r.Metadata.Name == binding.RoleRef.Name);
        var pods = role.Rules.Single(r => r.Resources.Contains("pods"));
        Assert.Superset(new HashSet<string> { "get", "list", "watch", "patch" }, pods.Verbs.ToHashSet());
    }

    [SkippableFact]
    public void Gateways_are_ready_on_health_ready_scale_on_cpu_and_each_kind_has_a_disruption_budget_while_redis_keeps_an_aof_on_a_volume()
    {
        var objects = Render();
        var gateway = objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "rehome-gateway");
        var container = gateway.Spec.Template.Spec.Containers.Single();
        Assert.Equal("/health/ready", container.ReadinessProbe.HttpGet.Path);
        Assert.Contains(container.Env, e => e.Name == "Auth__SigningKey" && e.ValueFrom.SecretKeyRef.Name == "rehome-secrets");
        // Laravel Echo's endpoint, from the same secret when the app's keys are in it.
        foreach (var setting in new[] { "Pusher__AppKey", "Pusher__AppSecret" })
        {
            Assert.Contains(container.Env, e => e.Name == setting && e.ValueFrom.SecretKeyRef is { Name: "rehome-secrets", Optional: true });
        }

        // The autoscaler owns the count; a count in the Deployment would reset it at every apply.
        Assert.Null(gateway.Spec.Replicas);

        var hpa = objects.OfType<V2HorizontalPodAutoscaler>().Single();
        Assert.Equal(("Deployment", "rehome-gateway"), (hpa.Spec.ScaleTargetRef.Kind, hpa.Spec.ScaleTargetRef.Name));
        Assert.True(hpa.Spec.MinReplicas >= 2);

        var budgets = objects.OfType<V1PodDisruptionBudget>().ToDictionary(b => b.Spec.Selector.MatchLabels["app.kubernetes.io/name"]);
        Assert.Equal(["rehome-gateway", "rehome-silo"], budgets.Keys.Order());
        foreach (var deployment in objects.OfType<V1Deployment>())
        {
            Assert.Equal(deployment.Spec.Selector.MatchLabels["app.kubernetes.io/name"], deployment.Spec.Template.Metadata.Labels["app.kubernetes.io/name"]);
        }

        var redis = objects.OfType<V1StatefulSet>().Single();
        var args = redis.Spec.Template.Spec.Containers.Single().Args;
        Assert.Equal("yes", args[args.IndexOf("--appendonly") + 1]);
        var volume = redis.Spec.VolumeClaimTemplates.Single();
        Assert.Equal("/data", redis.Spec.Template.Spec.Containers.Single().VolumeMounts.Single(m => m.Name == volume.Metadata.Name).MountPath);
    }

    [SkippableFact]
    public void The_compose_stack_has_redis_with_aof_two_silos_two_gateways_nginx_and_prometheus_with_readiness_checks()
    {
        var services = ComposeServices("docker-compose.yml");
        string Scalar(YamlNode node, params string[] path) =>
            ((YamlScalarNode)path.Aggregate(node, (n, key) => ((YamlMappingNode)n)[key])).Value!;

        Assert.Superset(new HashSet<string> { "redis", "silo", "gateway", "nginx", "prometheus", "redis-exporter", "nginx-exporter" },
            services.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToHashSet());
        Assert.Contains("--appendonly", ((YamlSequenceNode)services["redis"]["command"]).Select(n => ((YamlScalarNode)n).Value));
        foreach (var name in new[] { "silo", "gateway" })
        {
            Assert.Equal("2", Scalar(services, name, "scale"));
            var check = string.Join(" ", ((YamlSequenceNode)services[name]["healthcheck"]["test"]).Select(n => ((YamlScalarNode)n).Value));
            Assert.Contains("GET /health/ready ", check);
        }

        var gatewayEnv = (YamlMappingNode)services["gateway"]["environment"];
        Assert.Equal("${REHOME_PUSHER_APP_KEY:-}", Scalar(gatewayEnv, "Pusher__AppKey"));
        Assert.Equal("${REHOME_PUSHER_APP_SECRET:-}", Scalar(gatewayEnv, "Pusher__AppSecret"));

        Assert.Equal("./deploy/compose/nginx.conf:/etc/nginx/conf.d/default.conf:ro", ((YamlScalarNode)((YamlSequenceNode)services["nginx"]["volumes"])[0]).Value);
        var prometheus = File.ReadAllText(Path.Combine(Repository, "deploy", "prometheus", "prometheus.yml"));
        foreach (var job in new[] { "rehome-silo", "rehome-gateway", "redis", "nginx" })
        {
            Assert.Contains($"job_name: {job}", prometheus);
        }
    }

    [Fact]
    public void The_single_node_compose_file_runs_one_gateway_that_hosts_the_silo_beside_redis_with_aof()
    {
        var services = ComposeServices(Path.Combine("deploy", "compose", "single-node.yml"));

        Assert.Equal(["node", "redis"], services.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).Order());
        Assert.Contains("--appendonly", ((YamlSequenceNode)services["redis"]["command"]).Select(n => ((YamlScalarNode)n).Value));
        var node = (YamlMappingNode)services["node"];
        Assert.Equal("Gateway/Dockerfile", ((YamlScalarNode)node["build"]["dockerfile"]).Value);
        var env = (YamlMappingNode)node["environment"];
        string Env(string key) => ((YamlScalarNode)env[key]).Value!;
        Assert.Equal("true", Env("Gateway__HostSilo"));
        Assert.StartsWith("redis:6379", Env("Redis__ConnectionString"));
        Assert.Equal("auto", Env("Silo__AdvertisedIP"));
        Assert.Equal("${REHOME_PUSHER_APP_KEY:-}", Env("Pusher__AppKey"));
        Assert.Equal("${REHOME_PUSHER_APP_SECRET:-}", Env("Pusher__AppSecret"));
        Assert.False(node.Children.ContainsKey("scale"), "one node: several co-hosted nodes belong in the split stack");
        Assert.Contains("GET /health/ready ", string.Join(" ", ((YamlSequenceNode)node["healthcheck"]["test"]).Select(n => ((YamlScalarNode)n).Value)));
        Assert.Equal("service_healthy", ((YamlScalarNode)node["depends_on"]["redis"]["condition"]).Value);
    }

    /// <summary>
    /// .NET's host gives its services 30 s to stop unless <c>shutdownTimeoutSeconds</c> says otherwise. Each .NET
    /// process is given a deadline of its own that ends a few seconds before its orchestrator's SIGKILL, so it finishes
    /// leaving (a silo its grains and membership, a gateway its connections) and is not cut off halfway, nor sooner
    /// than it needs to be.
    /// </summary>
    [SkippableFact]
    public void Every_dotnet_process_stops_by_its_own_deadline_a_few_seconds_inside_its_grace_period()
    {
        const int margin = 5;
        var deployments = Render().OfType<V1Deployment>().ToList();
        Assert.Equal(["rehome-gateway", "rehome-silo"], deployments.Select(d => d.Metadata.Name).Order());
        foreach (var deployment in deployments)
        {
            var pod = deployment.Spec.Template.Spec;
            var deadline = int.Parse(pod.Containers.Single().Env.Single(e => e.Name == "shutdownTimeoutSeconds").Value, CultureInfo.InvariantCulture);
            Assert.InRange(deadline, pod.TerminationGracePeriodSeconds!.Value - 2 * margin, pod.TerminationGracePeriodSeconds.Value - margin);
        }

        foreach (var (file, service) in new[] { ("docker-compose.yml", "silo"), ("docker-compose.yml", "gateway"), (Path.Combine("deploy", "compose", "single-node.yml"), "node") })
        {
            var settings = (YamlMappingNode)ComposeServices(file)[service];
            var grace = ((YamlScalarNode)settings["stop_grace_period"]).Value!;
            Assert.EndsWith("s", grace);
            var graceSeconds = int.Parse(grace[..^1], CultureInfo.InvariantCulture);
            var deadline = int.Parse(((YamlScalarNode)settings["environment"]["shutdownTimeoutSeconds"]).Value!, CultureInfo.InvariantCulture);
            Assert.InRange(deadline, graceSeconds - 2 * margin, graceSeconds - margin);
        }
    }

    private static YamlMappingNode ComposeServices(string relativePath)
    {
        var file = new YamlStream();
        file.Load(new StringReader(File.ReadAllText(Path.Combine(Repository, relativePath))));
        return (YamlMappingNode)((YamlMappingNode)file.Documents[0].RootNode)["services"];
    }

    /// <summary><c>kubectl kustomize deploy/kubernetes</c>, each document read into its typed model, unknown fields refused.</summary>
    private static List<object> Render()
    {
        var kubectl = new[] { "/usr/bin/kubectl", "/usr/local/bin/kubectl" }.FirstOrDefault(File.Exists);
        if (kubectl is null)
        {
            Assert.False(RedisServer.IsCi, "CI=true but kubectl is missing (apt-get install kubectl)");
            Skip.If(true, "kubectl is not installed; the Kubernetes manifest checks are skipped.");
        }

        var start = new ProcessStartInfo(kubectl!, ["kustomize", Path.Combine(Repository, "deploy", "kubernetes")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), "kubectl kustomize finished");
        Assert.True(process.ExitCode == 0, $"kubectl kustomize failed: {error.Result}");
        return KubernetesYaml.LoadAllFromString(output.Result, strict: true);
    }
}
