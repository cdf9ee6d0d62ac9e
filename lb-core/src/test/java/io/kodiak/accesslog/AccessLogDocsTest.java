package io.kodiak.accesslog;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * docs/access-log.md's two tables say what the code does: the variables and termination codes;
 * and the README lists every variable, one line each, with the same meaning.
 */
class AccessLogDocsTest {
    private static final Path DOC = Path.of("..", "docs", "access-log.md");
    private static final Path README = Path.of("..", "README.md");

    @Test
    void variableTableIsTheCodesTableInOrderWithTheSameMeanings() throws Exception {
        List<String> documented = rows(Pattern.compile("^\\| `\\$([a-z0-9_]+)` \\| (.+) \\|$"));
        List<String> code = Arrays.stream(Variable.values()).map(v -> v.varName() + " " + v.meaning()).toList();
        assertEquals(code, documented);
    }

    @Test
    void theReadmeListsEveryVariableOneLineEachInOrderWithTheSameMeaning() throws Exception {
        List<String> listed = new ArrayList<>();
        Pattern item = Pattern.compile("^- `\\$([a-z0-9_]+)`: (.+)$");
        for (String line : Files.readAllLines(README)) {
            Matcher m = item.matcher(line);
            if (m.matches()) {
                listed.add(m.group(1) + " " + m.group(2));
            }
        }
        List<String> code = Arrays.stream(Variable.values()).map(v -> v.varName() + " " + v.meaning()).toList();
        assertEquals(code, listed);
    }

    @Test
    void terminationTableListsEveryCodeInOrder() throws Exception {
        List<String> documented = rows(Pattern.compile("^\\| `(..)` \\| .+ \\|$"));
        List<String> code = Arrays.stream(Termination.values()).map(Termination::code).toList();
        assertEquals(code.stream().map(c -> c + " ").toList(), documented.stream().map(r -> r.substring(0, 3)).toList());
    }

    private static List<String> rows(Pattern row) throws Exception {
        List<String> found = new ArrayList<>();
        for (String line : Files.readAllLines(DOC)) {
            Matcher m = row.matcher(line);
            if (m.matches()) {
                found.add(m.groupCount() > 1 ? m.group(1) + " " + m.group(2) : m.group(1) + " ");
            }
        }
        return found;
    }
}
