import com.sun.tools.attach.VirtualMachine;

/**
 * Loads a JVMTI agent into a running JVM: {@code java bench/lib/Attach.java PID AGENT_PATH OPTIONS}.
 * bench/profile.sh starts and stops async-profiler with it. Not {@code jcmd PID JVMTI.agent_load}:
 * jcmd parses an argument holding {@code =} as one of its own named options, so async-profiler's
 * {@code start,event=cpu,...} never reaches the agent.
 */
public class Attach {
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: java Attach.java PID AGENT_PATH OPTIONS");
            System.exit(2);
        }
        VirtualMachine vm = VirtualMachine.attach(args[0]);
        try {
            vm.loadAgentPath(args[1], args[2]);
        } finally {
            vm.detach();
        }
    }
}
