import '@mes-messages/shared/styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider, configureApi } from '@mes-messages/shared';
import { App } from './App';
import { SessionProvider } from './session';

// Before any request: the back office's session lives in the back office's cookies.
configureApi({ app: 'backoffice' });

createRoot(document.getElementById('app')!).render(
  <StrictMode>
    <RouterProvider>
      <SessionProvider>
        <App />
      </SessionProvider>
    </RouterProvider>
  </StrictMode>,
);
