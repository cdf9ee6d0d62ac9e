package io.kodiak.config;

import io.kodiak.config.Flags.Flag;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one parser of every command's flags: help, values, switches, and the errors they share. */
class FlagsTest {
    private static final Flags CMD = Flags.of("kodiak x", "[-c FILE] [--wait]", "Does x.",
            Flag.value("--config", "FILE", "the file (required)").alias("-c"),
            Flag.toggle("--wait", "wait for it"));

    private static void assertRejected(Flags flags, List<String> args, String expected) {
        ConfigException e = assertThrows(ConfigException.class, () -> flags.parse(args));
        assertEquals(expected, e.getMessage());
    }

    @Test
    void valuesAsTheNextArgumentOrAfterEqualsAndSwitches() throws Exception {
        Flags.Parsed p = CMD.parse(List.of("-c", "a.yaml", "--wait"));
        assertFalse(p.help());
        assertEquals(Map.of("--config", "a.yaml"), p.values());
        assertTrue(p.has("--wait"));
        assertEquals("b.yaml", CMD.parse(List.of("--config=b.yaml")).value("--config"));
        assertNull(CMD.parse(List.of()).value("--config"));
        assertFalse(CMD.parse(List.of()).has("--wait"));
    }

    @Test
    void helpAnywhereBeforeDoubleDashWinsOverEverythingElse() throws Exception {
        assertTrue(CMD.parse(List.of("--help")).help());
        assertTrue(CMD.parse(List.of("--frob", "-c", "--wait=1", "-h")).help());
        Flags args = CMD.withArguments();
        assertEquals(List.of("--help"), args.parse(List.of("--", "--help")).arguments());
    }

    @Test
    void errorsNameTheFlagAndTheFlagsThatExist() {
        assertRejected(CMD, List.of("--frob"), "--frob: unknown flag (flags are -c/--config, --wait, -h/--help)");
        assertRejected(CMD, List.of("--frob=1"), "--frob: unknown flag (flags are -c/--config, --wait, -h/--help)");
        assertRejected(CMD, List.of("-x"), "-x: unknown flag (flags are -c/--config, --wait, -h/--help)");
        assertRejected(CMD, List.of("-c"), "-c: needs a value (-c FILE)");
        assertRejected(CMD, List.of("--config", "--wait"), "--config: needs a value (--config FILE)");
        assertRejected(CMD, List.of("--config="), "--config: needs a value (--config FILE)");
        assertRejected(CMD, List.of("-c", "a", "--config", "b"), "--config: given more than once");
        assertRejected(CMD, List.of("--wait=yes"), "--wait: takes no value");
        assertRejected(CMD, List.of("a.yaml"), "\"a.yaml\": unexpected argument (flags are -c/--config, --wait, -h/--help)");
    }

    @Test
    void argumentsWhereTheCommandTakesThemAndTheFirstOneFoundPastFlags() throws Exception {
        Flags args = CMD.withArguments();
        assertEquals(List.of("p", "-", "-1", "-x"), args.parse(List.of("p", "--wait", "-", "-1", "--", "-x")).arguments());
        assertEquals(Set.of("--wait"), args.parse(List.of("p", "--wait")).toggles());
        assertEquals("drain", args.firstArgument(List.of("-c", "f", "--wait", "drain", "p")));
        assertEquals("drain", args.firstArgument(List.of("--config=f", "drain")));
        assertEquals("drain", args.firstArgument(List.of("--frob", "drain")), "an unknown flag is taken for a switch");
        assertEquals("--x", args.firstArgument(List.of("--wait", "--", "--x")));
        assertNull(args.firstArgument(List.of("-c", "f", "--wait")));
    }

    @Test
    void usageListsEveryFlagWithItsMeaningThenHelp() {
        assertEquals("""
                usage: kodiak x [-c FILE] [--wait]
                Does x.
                flags:
                  -c, --config FILE  the file (required)
                  --wait             wait for it
                  -h, --help         print this help and exit
                """, CMD.usage());
        assertEquals("usage: kodiak x [-c FILE] [--wait]\nDoes x.\nflags:\n" + CMD.flagLines() + "see also: y\n",
                CMD.withNotes("see also: y").usage());
    }
}
