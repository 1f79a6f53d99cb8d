/* unit.h - how every CUnit program of tests/unit runs: one suite of the
 * tests it lists, verbose, exit 1 when one failed (make unit; make mutants
 * reads the "Test: NAME ...FAILED" lines). */
#ifndef SOCKCONF_UNIT_H
#define SOCKCONF_UNIT_H

#include <CUnit/Basic.h>

/* Run suite NAME of TESTS (ended by CU_TEST_INFO_NULL): 0 when every test passed, 1 when one failed, or
 * CUnit's error when it could not register them. */
static inline int unit_run(const char *name, CU_TestInfo *tests)
{
    CU_SuiteInfo suites[] = {{name, NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    unsigned failed;

    if (CU_initialize_registry() != CUE_SUCCESS)
        return CU_get_error();
    if (CU_register_suites(suites) != CUE_SUCCESS) {
        CU_cleanup_registry();
        return CU_get_error();
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}

#endif
