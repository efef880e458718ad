import not_a_module_testboost_conftest  # noqa: F401  (pytest cannot even start)
