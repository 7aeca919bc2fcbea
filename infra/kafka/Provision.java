// Applies a provisioning plan to the development broker in one JVM, with Kafka's Admin API:
// SCRAM-SHA-512 users, then exactly the plan's ACLs (missing ones added, others removed).
// The plan comes from `python -m shared.kafka_principals plan` on stdin:
//   user NAME PASSWORD
//   acl PRINCIPAL TOPIC|GROUP LITERAL|PREFIXED RESOURCE_NAME OPERATION
// Run by scripts/infra.sh (Java's source-file mode, Kafka's jars on the class path):
//   java -cp 'lib/*' infra/kafka/Provision.java BOOTSTRAP < plan
// The admin password is read from the environment (KAFKA_ADMIN_PASSWORD), never from argv.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

public class Provision {
  public static void main(String[] args) throws Exception {
    String password = System.getenv("KAFKA_ADMIN_PASSWORD");
    if (args.length != 1 || password == null) {
      System.err.println("usage: KAFKA_ADMIN_PASSWORD=... java Provision.java BOOTSTRAP < plan");
      System.exit(2);
    }
    List<UserScramCredentialAlteration> users = new ArrayList<>();
    Set<AclBinding> wanted = new HashSet<>();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      String[] f = line.trim().split(" ");
      if (f[0].equals("user") && f.length == 3) {
        ScramCredentialInfo info = new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192);
        users.add(new UserScramCredentialUpsertion(f[1], info, f[2]));
      } else if (f[0].equals("acl") && f.length == 6) {
        ResourcePattern resource = new ResourcePattern(
            ResourceType.fromString(f[2]), f[4], PatternType.fromString(f[3]));
        AccessControlEntry entry = new AccessControlEntry(
            "User:" + f[1], "*", AclOperation.fromString(f[5]), AclPermissionType.ALLOW);
        wanted.add(new AclBinding(resource, entry));
      } else if (!line.isBlank()) {
        throw new IllegalArgumentException("bad plan line: " + f[0] + " ...");
      }
    }
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    props.put("security.protocol", "SASL_PLAINTEXT");
    props.put("sasl.mechanism", "SCRAM-SHA-512");
    props.put("sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" "
            + "password=\"" + password + "\";");
    try (Admin admin = Admin.create(props)) {
      admin.alterUserScramCredentials(users).all().get();
      Set<AclBinding> present = new HashSet<>(admin.describeAcls(AclBindingFilter.ANY).values().get());
      List<AclBindingFilter> stale = new ArrayList<>();
      for (AclBinding binding : present) {
        if (!wanted.contains(binding)) stale.add(binding.toFilter());
      }
      List<AclBinding> missing = new ArrayList<>();
      for (AclBinding binding : wanted) {
        if (!present.contains(binding)) missing.add(binding);
      }
      if (!stale.isEmpty()) admin.deleteAcls(stale).all().get();
      if (!missing.isEmpty()) admin.createAcls(missing).all().get();
      System.out.printf("provisioned %d users; ACLs: %d added, %d removed, %d in all%n",
          users.size(), missing.size(), stale.size(), wanted.size());
    }
  }
}
